// One principal's own properties.
MATCH (p:Principal {snapshot: $snapshot, id: $arn})
RETURN p.id AS arn, p.name AS name, p.holderType AS principalType, p.account AS account,
       p.path AS path, p.tags AS tags, p.groups AS groups, p.adminVia AS adminVia,
       p.adminConditional AS adminConditional, p.adminProvenance AS adminProvenance,
       p.indirectAdmin AS indirectAdmin
