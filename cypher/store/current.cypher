// The current snapshot of customer $customer (its newest completely loaded one). Snapshots
// written before tenants existed have no `customer`: they are the default tenant's.
MATCH (s:Snapshot {current: true})
WHERE coalesce(s.customer, 'default') = $customer
RETURN s.id AS id, s.graphModel AS graphModel, s.analysisTime AS analysisTime, s.source AS source,
       s.accounts AS accounts, s.principals AS principals, s.resources AS resources,
       s.warningFiles AS warningFiles, s.warningMessages AS warningMessages
ORDER BY s.completedAt DESC
LIMIT 1
