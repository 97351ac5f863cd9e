// Principal access summary of one principal: every capability relationship out of it (to a
// resource, or to a service for service-wide grants). No row: not in the snapshot.
MATCH (h:Principal {snapshot: $snapshot, id: $principal})
OPTIONAL MATCH (h)-[g]->(t:Entity)
WHERE g.capRank IS NOT NULL
RETURN h.id AS principal, h.holderType AS principalType, h.name AS principalName,
       h.account AS principalAccount, g.resource AS resource,
       CASE WHEN g.resource IS NULL THEN NULL ELSE t.resourceType END AS resourceType,
       CASE WHEN g.resource IS NULL THEN NULL ELSE t.name END AS resourceName,
       CASE WHEN g.resource IS NULL THEN NULL ELSE t.account END AS resourceAccount,
       g.service AS service, g.capability AS capability, g.conditional AS conditional,
       g.conditionKeys AS conditionKeys, g.viaAccount AS viaAccount, g.action AS action,
       g.provenance AS provenance
