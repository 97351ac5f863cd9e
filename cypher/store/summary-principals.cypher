// The principal access summary, step 1: the next principals in ARN order (from $from, itself
// included when $inclusive) that pass the principal filters.
MATCH (h:Principal {snapshot: $snapshot})
WHERE (h.id > $from OR ($inclusive AND h.id = $from))
  AND ($principal IS NULL OR h.id = $principal)
  AND ($principalAccount IS NULL OR h.account = $principalAccount)
  AND ($principalType IS NULL OR h.holderType = $principalType)
RETURN h.id AS id
ORDER BY id
LIMIT $limit
