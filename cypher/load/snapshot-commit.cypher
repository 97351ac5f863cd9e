// Makes a completely loaded snapshot the current one, in one transaction: readers see either
// the previous snapshot or this one, never a mix.
MATCH (s:Snapshot {id: $id, status: 'loading'})
OPTIONAL MATCH (old:Snapshot {current: true})
WITH s, collect(old) AS olds
FOREACH (o IN olds | SET o.current = false)
SET s.status = 'complete', s.current = true, s.completedAt = datetime(),
    s.nodes = $nodes, s.relationships = $relationships, s.actions = $actions
RETURN s.id AS id
