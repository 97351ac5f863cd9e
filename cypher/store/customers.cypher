// The customers (tenants) that have a current complete snapshot, sorted. Snapshots written
// before tenants existed have no `customer`: they are the default tenant's.
MATCH (s:Snapshot {current: true})
RETURN DISTINCT coalesce(s.customer, 'default') AS customer
ORDER BY customer
