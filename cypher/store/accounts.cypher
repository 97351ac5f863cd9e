// The snapshot's accounts with their principal, resource and admin counts.
MATCH (a:Account {snapshot: $snapshot, inSnapshot: true})
RETURN a.id AS id, a.accountName AS name,
       COUNT { MATCH (p:Principal {snapshot: $snapshot, account: a.id}) } AS principals,
       COUNT { MATCH (r:Resource {snapshot: $snapshot, account: a.id}) } AS resources,
       COUNT { MATCH (p:Principal {snapshot: $snapshot, account: a.id}) WHERE p.admin } AS admins
ORDER BY id
