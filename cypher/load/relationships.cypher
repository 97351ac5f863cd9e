// One batch of relationships: $rows = [{type, from, to, props: {..}}], ends by node key. Each
// batch runs in its own transaction of a fresh snapshot, so CREATE cannot duplicate.
UNWIND $rows AS row
MATCH (a:Entity {key: row.from})
MATCH (b:Entity {key: row.to})
CREATE (a)-[g:$(row.type)]->(b)
SET g = row.props
RETURN count(*) AS n
