// One page of resources (IAM users and roles included) in ARN order after $after.
MATCH (r:Resource {snapshot: $snapshot})
WHERE r.id > $after
  AND ($account IS NULL OR r.account = $account)
  AND ($resourceType IS NULL OR r.resourceType = $resourceType)
  AND ($nameContains IS NULL OR toLower(r.name) CONTAINS $nameContains)
RETURN r.id AS arn, r.name AS name, r.resourceType AS resourceType, r.account AS account,
       r.region AS region, r.resourceTags AS tags
ORDER BY arn
LIMIT $limit
