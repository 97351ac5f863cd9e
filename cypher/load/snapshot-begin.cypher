// Registers a snapshot that is being loaded. It stays `status: 'loading'` (and not current)
// until load/snapshot-commit.cypher switches to it.
CREATE (s:Snapshot {
  id: $id,
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
