// One batch of nodes: $rows = [{key, labels: [..], props: {..}}]. MERGE on the unique key makes
// a retried batch harmless.
UNWIND $rows AS row
MERGE (n:Entity {key: row.key})
SET n:$(row.labels)
SET n += row.props
SET n.snapshot = $snapshot
RETURN count(*) AS n
