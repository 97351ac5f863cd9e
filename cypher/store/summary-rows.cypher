// The principal access summary, step 2: the capability relationships of these principals that
// pass the grant filters (sorted and paged by the caller).
MATCH (snap:Snapshot {id: $snapshot})
WITH snap.actions AS actions
UNWIND $ids AS id
MATCH (h:Principal {snapshot: $snapshot, id: id})-[g]->(t:Entity)
WHERE g.service IS NOT NULL
  AND ($services IS NULL OR g.service IN $services)
  AND ($capabilities IS NULL OR type(g) IN $capabilities)
  AND ($includeConditional OR g.conditional IS NULL)
  AND (NOT $resourcesOnly OR t:Resource)
  AND ($resourceAccount IS NULL OR (t:Resource AND t.account = $resourceAccount))
  AND ($resource IS NULL OR (t:Resource AND t.id = $resource))
RETURN h.id AS principal, h.holderType AS principalType, h.name AS principalName,
       h.account AS principalAccount,
       CASE WHEN t:Resource THEN t.id END AS resource,
       CASE WHEN t:Resource THEN t.resourceType END AS resourceType,
       CASE WHEN t:Resource THEN t.name END AS resourceName,
       CASE WHEN t:Resource THEN t.account END AS resourceAccount,
       g.service AS service, type(g) AS capability, coalesce(g.conditional, false) AS conditional,
       g.conditionKeys AS conditionKeys, g.viaAccount AS viaAccount, actions[g.act] AS action,
       h.grantProvenance[g.prov] AS provenance
