// Resource access summary of one resource: every capability relationship into it (principals,
// their delegated grants, accounts, outsiders, anyone). No row: not in the snapshot.
MATCH (snap:Snapshot {id: $snapshot})
WITH snap.actions AS actions
MATCH (t:Resource {snapshot: $snapshot, id: $resource})
OPTIONAL MATCH (t)<-[g]-(h:Entity)
WHERE g.service IS NOT NULL
RETURN h.id AS principal, h.holderType AS principalType, h.name AS principalName,
       h.account AS principalAccount, t.id AS resource, t.resourceType AS resourceType,
       t.name AS resourceName, t.account AS resourceAccount,
       g.service AS service, type(g) AS capability, coalesce(g.conditional, false) AS conditional,
       g.conditionKeys AS conditionKeys, g.viaAccount AS viaAccount, actions[g.act] AS action,
       h.grantProvenance[g.prov] AS provenance
