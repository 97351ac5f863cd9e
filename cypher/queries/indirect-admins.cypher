// Indirect admins of an account: principals that are not admins (of $account; null: of any
// account) but reach one through role assumption and privilege-escalation edges in at most 10
// hops, with one shortest such path. `pathhound indirect-admins` lists all simple paths.
// Neo4j Browser:
//   :param snapshot => null
//   :param customer => 'default'
//   :param account => null
MATCH (s:Snapshot)
WHERE ($snapshot IS NULL AND s.current AND coalesce(s.customer, 'default') = $customer)
   OR s.id = $snapshot
MATCH (x:Principal {snapshot: s.id})
WHERE $account IS NULL OR x.account = $account
WITH s, [a IN collect(x) WHERE a.admin] AS admins,
     [t IN collect(x) WHERE EXISTS { (t)<-[:CAN_ESCALATE_TO {terminal: true}]-() }] AS rewritable
MATCH (p:Principal {snapshot: s.id})
WHERE NOT p IN admins
CALL (p, admins, rewritable) {
  UNWIND admins AS a
  MATCH path = shortestPath((p)-[:CAN_ASSUME|CAN_ESCALATE_TO*1..10]->(a))
  RETURN length(path) AS hops, [n IN nodes(path) | n.id] AS nodes,
         [r IN relationships(path) | r.via] AS via
  UNION
  UNWIND rewritable AS t
  MATCH (p)-[last:CAN_ESCALATE_TO {terminal: true}]->(t)
  RETURN 1 AS hops, [p.id, t.id] AS nodes, [last.via] AS via
  UNION
  UNWIND rewritable AS t
  MATCH (y:Principal)-[last:CAN_ESCALATE_TO {terminal: true}]->(t)
  WHERE y <> p
  MATCH head = shortestPath((p)-[:CAN_ASSUME|CAN_ESCALATE_TO*1..9]->(y))
  RETURN length(head) + 1 AS hops, [n IN nodes(head) | n.id] + [t.id] AS nodes,
         [r IN relationships(head) | r.via] + [last.via] AS via
}
WITH p, hops, nodes, via
ORDER BY hops, nodes
WITH p, collect({hops: hops, nodes: nodes, via: via})[0] AS best
RETURN p.id AS principal, p.account AS account, best.hops AS hops, best.nodes AS nodes,
       best.via AS via
ORDER BY principal
