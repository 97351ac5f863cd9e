// Access-path expansion along privilege escalation: who can escalate into each principal.
UNWIND $targets AS t
MATCH (x:Principal {snapshot: $snapshot, id: t})<-[:CAN_ESCALATE_TO]-(p:Principal)
WHERE p <> x
RETURN DISTINCT t AS target, p.id AS id, p.nodeKind AS kind
