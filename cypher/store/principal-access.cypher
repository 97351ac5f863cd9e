// Principal access summary of one principal: every capability relationship out of it (to a
// resource, or to a service for service-wide grants). No row: not in the snapshot.
MATCH (snap:Snapshot {id: $snapshot})
WITH snap.actions AS actions
MATCH (h:Principal {snapshot: $snapshot, id: $principal})
OPTIONAL MATCH (h)-[g]->(t:Entity)
WHERE g.service IS NOT NULL
RETURN h.id AS principal, h.holderType AS principalType, h.name AS principalName,
       h.account AS principalAccount,
       CASE WHEN t:Resource THEN t.id END AS resource,
       CASE WHEN t:Resource THEN t.resourceType END AS resourceType,
       CASE WHEN t:Resource THEN t.name END AS resourceName,
       CASE WHEN t:Resource THEN t.account END AS resourceAccount,
       g.service AS service, type(g) AS capability, coalesce(g.conditional, false) AS conditional,
       g.conditionKeys AS conditionKeys, g.viaAccount AS viaAccount, actions[g.act] AS action,
       h.grantProvenance[g.prov] AS provenance
