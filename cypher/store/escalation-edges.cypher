// Every role-assumption and escalation edge by principal ordinals, for indirect admins.
MATCH (a:Principal {snapshot: $snapshot})-[e:CAN_ASSUME|CAN_ESCALATE_TO]->(b:Principal)
RETURN a.ordinal AS from, b.ordinal AS to, e.via AS via, e.conditional AS conditional,
       e.conditionKeys AS conditionKeys, e.requires AS requires, e.terminal AS terminal,
       e.provenance AS provenance
