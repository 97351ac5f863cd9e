// Who can delete data in RDS (seed 002): every holder of delete-data on an RDS cluster or
// instance (the resource access summary), directly or through a trust of its account.
// Neo4j Browser:
//   :param snapshot => null
//   :param customer => 'default'
//   :param includeConditional => true
MATCH (s:Snapshot)
WHERE ($snapshot IS NULL AND s.current AND coalesce(s.customer, 'default') = $customer)
   OR s.id = $snapshot
MATCH (r:Resource {snapshot: s.id})<-[g:DELETE_DATA]-(h:Entity)
WHERE g.service = 'rds' AND ($includeConditional OR g.conditional IS NULL)
RETURN 'RDS' AS serviceName, r.name AS resourceName, r.id AS resourceArn,
       h.name AS principalName, h.id AS principal, h.holderType AS principalType,
       'delete-data' AS accessCapability, coalesce(g.conditional, false) AS conditional,
       g.viaAccount AS viaAccount, h.grantProvenance[g.prov] AS provenance
ORDER BY resourceArn, principal, viaAccount
