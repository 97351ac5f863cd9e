// The current snapshot (the newest completely loaded one).
MATCH (s:Snapshot {current: true})
RETURN s.id AS id, s.graphModel AS graphModel, s.analysisTime AS analysisTime, s.source AS source,
       s.accounts AS accounts, s.principals AS principals, s.resources AS resources,
       s.warningFiles AS warningFiles, s.warningMessages AS warningMessages
ORDER BY s.completedAt DESC
LIMIT 1
