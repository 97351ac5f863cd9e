// The credentials of the accounts' credential reports.
MATCH (c:Credential {snapshot: $snapshot})
RETURN c.principal AS principal, c.userName AS name, c.account AS account,
       c.credential AS credential, c.active AS active, c.lastUsed AS lastUsed, c.since AS since
