// Stale credentials (seed 002): active passwords and access keys unused for more than $days
// days before $asOf (null: the snapshot's analysis time), from the credential reports. A
// credential never used counts from when it was set.
// Neo4j Browser:
//   :param snapshot => null
//   :param customer => 'default'
//   :param days => 90
//   :param asOf => null
MATCH (s:Snapshot)
WHERE ($snapshot IS NULL AND s.current AND coalesce(s.customer, 'default') = $customer)
   OR s.id = $snapshot
MATCH (c:Credential {snapshot: s.id, active: true})
WITH c, datetime(coalesce($asOf, s.analysisTime)) AS asOf, coalesce(c.lastUsed, c.since) AS t
WHERE t IS NOT NULL
WITH c, duration.inDays(datetime(t), asOf).days AS daysUnused
WHERE daysUnused > $days
RETURN c.principal AS principal, c.userName AS name, c.account AS account,
       c.credential AS credential, c.lastUsed AS lastUsed, daysUnused
ORDER BY principal, credential
