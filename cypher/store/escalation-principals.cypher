// Every principal with its ordinal (snapshot order) and admin facts, for indirect admins.
MATCH (p:Principal {snapshot: $snapshot})
RETURN p.ordinal AS ordinal, p.id AS arn, p.account AS account, p.admin AS admin,
       p.adminVia AS adminVia, p.adminConditional AS adminConditional,
       p.adminProvenance AS adminProvenance
