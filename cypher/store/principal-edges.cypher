// Role assumption and escalation edges out of and into one principal (a self edge once).
MATCH (p:Principal {snapshot: $snapshot, id: $arn})-[e:CAN_ASSUME|CAN_ESCALATE_TO]->(o:Principal)
RETURN p.id AS from, o.id AS to, e.via AS via, e.conditional AS conditional,
       e.conditionKeys AS conditionKeys, e.requires AS requires, e.provenance AS provenance
UNION ALL
MATCH (p:Principal {snapshot: $snapshot, id: $arn})<-[e:CAN_ASSUME|CAN_ESCALATE_TO]-(o:Principal)
WHERE o <> p
RETURN o.id AS from, p.id AS to, e.via AS via, e.conditional AS conditional,
       e.conditionKeys AS conditionKeys, e.requires AS requires, e.provenance AS provenance
