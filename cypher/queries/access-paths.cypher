// Access paths to a resource for the visualizer: principals that hold a capability of
// $capabilities through one of $services on $resource (directly or through a trust of their
// account), and chains of role assumption into them, at most $maxNodes principals long (1-15).
// The exact seed-001 answer, with account nodes, cycles and truncation, is `pathhound paths`.
// Neo4j Browser:
//   :param snapshot => null
//   :param customer => 'default'
//   :param resource => 'arn:aws:iam::333333333333:role/333-dst-1'
//   :param services => ['sts']
//   :param capabilities => ['use-resource']
//   :param maxNodes => 10
MATCH (s:Snapshot)
WHERE ($snapshot IS NULL AND s.current AND coalesce(s.customer, 'default') = $customer)
   OR s.id = $snapshot
MATCH (r:Resource {snapshot: s.id, id: $resource})<-[g]-(h:Principal)
WHERE g.service IN $services
  AND type(g) IN [c IN $capabilities | {`administer-resource`: 'ADMINISTER',
      `read-config`: 'READ_CONFIG', `use-resource`: 'USE', `read-data`: 'READ_DATA',
      `write-data`: 'WRITE_DATA', `delete-data`: 'DELETE_DATA',
      `unclassified-access`: 'UNCLASSIFIED_ACCESS'}[c]]
WITH DISTINCT r, h
MATCH chain = (p:Principal)-[:CAN_ASSUME*0..14]->(h)
WHERE length(chain) < $maxNodes
  AND all(n IN nodes(chain) WHERE single(m IN nodes(chain) WHERE m = n))
  AND NOT r IN nodes(chain)
RETURN p.id AS principal, [n IN reverse(nodes(chain)) | n.id] AS nodes, chain
ORDER BY size(nodes), nodes
