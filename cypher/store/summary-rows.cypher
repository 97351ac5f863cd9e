// The principal access summary, step 2: the capability relationships of these principals that
// pass the grant filters (sorted and paged by the caller).
UNWIND $ids AS id
MATCH (h:Principal {snapshot: $snapshot, id: id})-[g]->(t:Entity)
WHERE g.capRank IS NOT NULL
  AND ($services IS NULL OR g.service IN $services)
  AND ($capabilities IS NULL OR g.capability IN $capabilities)
  AND ($includeConditional OR NOT g.conditional)
  AND (NOT $resourcesOnly OR g.resource IS NOT NULL)
  AND ($resourceAccount IS NULL OR (g.resource IS NOT NULL AND t.account = $resourceAccount))
  AND ($resource IS NULL OR g.resource = $resource)
RETURN h.id AS principal, h.holderType AS principalType, h.name AS principalName,
       h.account AS principalAccount, g.resource AS resource,
       CASE WHEN g.resource IS NULL THEN NULL ELSE t.resourceType END AS resourceType,
       CASE WHEN g.resource IS NULL THEN NULL ELSE t.name END AS resourceName,
       CASE WHEN g.resource IS NULL THEN NULL ELSE t.account END AS resourceAccount,
       g.service AS service, g.capability AS capability, g.conditional AS conditional,
       g.conditionKeys AS conditionKeys, g.viaAccount AS viaAccount, g.action AS action,
       g.provenance AS provenance
