// Principals with excessive access to data (seed 002): principals by the number of resources
// they can read, write or delete, plus their service-wide data capabilities.
// Neo4j Browser:
//   :param snapshot => null
//   :param customer => 'default'
//   :param includeConditional => true
//   :param minResources => 1
//   :param limit => 100
//   :param accounts => null
MATCH (s:Snapshot)
WHERE ($snapshot IS NULL AND s.current AND coalesce(s.customer, 'default') = $customer)
   OR s.id = $snapshot
MATCH (p:Principal {snapshot: s.id})-[g:READ_DATA|WRITE_DATA|DELETE_DATA]->(t:Entity)
WHERE ($includeConditional OR g.conditional IS NULL)
  AND ($accounts IS NULL OR p.account IN $accounts)
WITH p, g, CASE WHEN t:Resource THEN t.id END AS res
WITH p,
     collect(DISTINCT res) AS resources,
     collect(DISTINCT CASE WHEN type(g) = 'READ_DATA' THEN res END) AS read,
     collect(DISTINCT CASE WHEN type(g) = 'WRITE_DATA' THEN res END) AS write,
     collect(DISTINCT CASE WHEN type(g) = 'DELETE_DATA' THEN res END) AS delete,
     collect(DISTINCT CASE WHEN res IS NULL
       THEN g.service + ':' + {READ_DATA: 'read-data', WRITE_DATA: 'write-data',
                               DELETE_DATA: 'delete-data'}[type(g)] END) AS serviceWide
WHERE size(resources) >= CASE WHEN $minResources < 1 THEN 1 ELSE $minResources END
   OR (size(serviceWide) > 0 AND $minResources <= 1)
RETURN p.id AS principal, p.holderType AS principalType, p.name AS principalName,
       p.account AS account, size(resources) AS resources, size(read) AS read,
       size(write) AS write, size(delete) AS delete, serviceWide
ORDER BY resources DESC, size(serviceWide) DESC, principal
LIMIT $limit
