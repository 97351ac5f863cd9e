// Deletes the snapshot node once its nodes are gone.
MATCH (s:Snapshot {id: $id})
WHERE NOT s.current
DELETE s
RETURN count(*) AS n
