// Makes a completely loaded snapshot the current one of its customer, in one transaction:
// readers see either the previous snapshot or this one, never a mix. Only that customer's
// current snapshot is switched off (snapshots without `customer` are the default tenant's).
MATCH (s:Snapshot {id: $id, status: 'loading'})
OPTIONAL MATCH (old:Snapshot {current: true})
WHERE coalesce(old.customer, 'default') = $customer AND old <> s
WITH s, collect(old) AS olds
FOREACH (o IN olds | SET o.current = false)
SET s.status = 'complete', s.current = true, s.completedAt = datetime(),
    s.nodes = $nodes, s.relationships = $relationships, s.actions = $actions
RETURN s.id AS id
