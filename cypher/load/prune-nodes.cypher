// Deletes up to $batch nodes of a snapshot (their relationships are gone); run until 0.
MATCH (n:Entity {snapshot: $id})
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS n
