// The principal access summary, filtered, one page in (principal, service, capability rank,
// resource, viaAccount) order after the cursor ($a0..$a4; $after false: from the start).
MATCH (h:Principal {snapshot: $snapshot})-[g]->(t:Entity)
WHERE g.capRank IS NOT NULL
  AND ($principal IS NULL OR h.id = $principal)
  AND ($principalAccount IS NULL OR h.account = $principalAccount)
  AND ($principalType IS NULL OR h.holderType = $principalType)
  AND ($services IS NULL OR g.service IN $services)
  AND ($capabilities IS NULL OR g.capability IN $capabilities)
  AND ($includeConditional OR NOT g.conditional)
  AND (NOT $resourcesOnly OR g.resource IS NOT NULL)
  AND ($resourceAccount IS NULL OR (g.resource IS NOT NULL AND t.account = $resourceAccount))
  AND ($resource IS NULL OR g.resource = $resource)
  AND (NOT $after OR h.id > $a0 OR (h.id = $a0 AND (g.service > $a1 OR (g.service = $a1 AND
       (g.capRank > $a2 OR (g.capRank = $a2 AND (coalesce(g.resource, '') > $a3 OR
       (coalesce(g.resource, '') = $a3 AND coalesce(g.viaAccount, '') > $a4))))))))
WITH h, g, t
ORDER BY h.id, g.service, g.capRank, coalesce(g.resource, ''), coalesce(g.viaAccount, '')
LIMIT $limit
RETURN h.id AS principal, h.holderType AS principalType, h.name AS principalName,
       h.account AS principalAccount, g.resource AS resource,
       CASE WHEN g.resource IS NULL THEN NULL ELSE t.resourceType END AS resourceType,
       CASE WHEN g.resource IS NULL THEN NULL ELSE t.name END AS resourceName,
       CASE WHEN g.resource IS NULL THEN NULL ELSE t.account END AS resourceAccount,
       g.service AS service, g.capability AS capability, g.conditional AS conditional,
       g.conditionKeys AS conditionKeys, g.viaAccount AS viaAccount, g.action AS action,
       g.provenance AS provenance
