// Deletes up to $batch relationships of a snapshot's nodes; run until it returns 0.
MATCH (n:Entity {snapshot: $id})-[g]-()
WITH DISTINCT g LIMIT $batch
DELETE g
RETURN count(*) AS n
