// pathhound's Neo4j schema (docs/graph-model.md). Idempotent: `pathhound load` runs it before
// every load. Every node of a snapshot carries `snapshot` (the load's id) and a unique `key`
// (`<snapshot>|<id>`), so several snapshots live side by side until old ones are pruned.
CREATE CONSTRAINT entity_key IF NOT EXISTS FOR (n:Entity) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT snapshot_id IF NOT EXISTS FOR (s:Snapshot) REQUIRE s.id IS UNIQUE;
CREATE INDEX entity_snapshot IF NOT EXISTS FOR (n:Entity) ON (n.snapshot);
CREATE INDEX principal_snapshot_id IF NOT EXISTS FOR (n:Principal) ON (n.snapshot, n.id);
CREATE INDEX resource_snapshot_id IF NOT EXISTS FOR (n:Resource) ON (n.snapshot, n.id);
CREATE INDEX account_snapshot_id IF NOT EXISTS FOR (n:Account) ON (n.snapshot, n.id);
CREATE INDEX credential_snapshot IF NOT EXISTS FOR (n:Credential) ON (n.snapshot);
CREATE INDEX snapshot_current IF NOT EXISTS FOR (s:Snapshot) ON (s.current);
