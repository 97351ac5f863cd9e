// Who can administer IAM (seed 002): principals holding administer-resource through IAM, on a
// resource or service-wide, with the statements that grant it.
// Neo4j Browser:
//   :param snapshot => null
//   :param includeConditional => true
// ($snapshot null: the current snapshot; or the id of a kept older one.)
MATCH (s:Snapshot)
WHERE ($snapshot IS NULL AND s.current) OR s.id = $snapshot
MATCH (p:Principal {snapshot: s.id})-[g:ADMINISTER {service: 'iam'}]->(t:Entity)
WHERE $includeConditional OR NOT g.conditional
RETURN p.name AS principalName, p.id AS principalArn, p.holderType AS principalType,
       g.serviceName AS serviceName, g.capability AS accessCapability,
       coalesce(g.resource, '(service-wide)') AS resource, g.conditional AS conditional,
       g.conditionKeys AS conditionKeys, g.viaAccount AS viaAccount, g.policies AS policies
ORDER BY principalArn, resource
