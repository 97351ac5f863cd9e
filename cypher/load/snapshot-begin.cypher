// Registers a snapshot that is being loaded. It stays `status: 'loading'` (and not current)
// until load/snapshot-commit.cypher switches to it. `graphModel` is the version of the layout
// of its nodes and relationships (docs/graph-model.md); readers refuse other versions.
// `customer` is the tenant the snapshot belongs to: current and pruning are per customer.
CREATE (s:Snapshot {
  id: $id,
  customer: $customer,
  graphModel: $graphModel,
  name: 'snapshot ' + $analysisTime,
  analysisTime: $analysisTime,
  source: $source,
  accounts: $accounts,
  principals: $principals,
  resources: $resources,
  warningFiles: $warningFiles,
  warningMessages: $warningMessages,
  status: 'loading',
  current: false,
  startedAt: datetime()
})
RETURN s.id AS id
