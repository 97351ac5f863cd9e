// Over-accessible data resources (seed 002): resources by the number of distinct holders
// (principals, trusted accounts, outsiders, anyone) that can read, write or delete their data.
// Neo4j Browser:
//   :param snapshot => null
//   :param customer => 'default'
//   :param includeConditional => true
//   :param minHolders => 1
//   :param limit => 100
//   :param accounts => null
MATCH (s:Snapshot)
WHERE ($snapshot IS NULL AND s.current AND coalesce(s.customer, 'default') = $customer)
   OR s.id = $snapshot
MATCH (r:Resource {snapshot: s.id})<-[g:READ_DATA|WRITE_DATA|DELETE_DATA]-(h:Entity)
WHERE ($includeConditional OR g.conditional IS NULL)
  AND ($accounts IS NULL OR r.account IN $accounts)
WITH r, h, collect(DISTINCT type(g)) AS caps
WITH r,
     count(h) AS holders,
     sum(CASE WHEN 'READ_DATA' IN caps THEN 1 ELSE 0 END) AS read,
     sum(CASE WHEN 'WRITE_DATA' IN caps THEN 1 ELSE 0 END) AS write,
     sum(CASE WHEN 'DELETE_DATA' IN caps THEN 1 ELSE 0 END) AS delete,
     max(CASE WHEN h:Everyone THEN 1 ELSE 0 END) = 1 AS public,
     sum(CASE WHEN coalesce(h.account, '') <> r.account THEN 1 ELSE 0 END) AS crossAccount
WHERE holders >= $minHolders
RETURN r.id AS resource, r.resourceType AS resourceType, r.name AS resourceName,
       r.account AS account, holders, read, write, delete, public, crossAccount
ORDER BY holders DESC, resource
LIMIT $limit
