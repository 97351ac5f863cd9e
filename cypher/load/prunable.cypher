// Snapshots of customer $customer to delete: its complete ones beyond the newest $keep by
// load time (the current one is always kept and counts), and its failed or abandoned loads
// other than $loading. Other customers' snapshots, loads in progress included, are never
// listed (snapshots without `customer` are the default tenant's).
MATCH (s:Snapshot)
WHERE coalesce(s.customer, 'default') = $customer
WITH s ORDER BY coalesce(s.completedAt, s.startedAt) DESC, s.id DESC
WITH collect(s) AS snaps
WITH [x IN snaps WHERE x.status = 'complete' AND NOT x.current] AS olds,
     [x IN snaps WHERE x.status <> 'complete' AND x.id <> $loading] AS broken,
     size([x IN snaps WHERE x.current]) AS hasCurrent
WITH olds[CASE WHEN $keep - hasCurrent < 0 THEN 0 ELSE $keep - hasCurrent END..] + broken AS doomed
UNWIND doomed AS d
RETURN d.id AS id, d.status AS status
