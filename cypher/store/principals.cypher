// One page of principals in ARN order after $after ('' from the start).
MATCH (p:Principal {snapshot: $snapshot})
WHERE p.id > $after
  AND ($account IS NULL OR p.account = $account)
  AND ($principalType IS NULL OR p.holderType = $principalType)
  AND ($nameContains IS NULL OR toLower(p.name) CONTAINS $nameContains)
  AND ($admin IS NULL OR p.admin = $admin)
RETURN p.id AS arn, p.name AS name, p.holderType AS principalType, p.account AS account,
       p.admin AS admin, p.indirectAdmin AS indirectAdmin
ORDER BY arn
LIMIT $limit
