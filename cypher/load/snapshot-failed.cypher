// Marks a load that stopped with an error; its partial data is pruned by the next load.
MATCH (s:Snapshot {id: $id, status: 'loading'})
SET s.status = 'failed', s.failedAt = datetime(), s.error = $error
RETURN s.id AS id
