// Who can administer IAM (seed 002): principals holding administer-resource through IAM, on a
// resource or service-wide, with the statements that grant it (`provenance`: JSON, one entry
// per policy statement).
// Neo4j Browser:
//   :param snapshot => null
//   :param customer => 'default'
//   :param includeConditional => true
// ($snapshot null: the current snapshot; or the id of a kept older one.)
MATCH (s:Snapshot)
WHERE ($snapshot IS NULL AND s.current AND coalesce(s.customer, 'default') = $customer)
   OR s.id = $snapshot
MATCH (p:Principal {snapshot: s.id})-[g:ADMINISTER {service: 'iam'}]->(t:Entity)
WHERE $includeConditional OR g.conditional IS NULL
RETURN p.name AS principalName, p.id AS principalArn, p.holderType AS principalType,
       'IAM' AS serviceName, 'administer-resource' AS accessCapability,
       CASE WHEN t:Resource THEN t.id ELSE '(service-wide)' END AS resource,
       coalesce(g.conditional, false) AS conditional, coalesce(g.conditionKeys, []) AS conditionKeys,
       g.viaAccount AS viaAccount, p.grantProvenance[g.prov] AS provenance
ORDER BY principalArn, resource
