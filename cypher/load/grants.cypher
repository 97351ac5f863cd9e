// One batch of capability relationships, grouped by holder (src/store/neo4j/batch.rs).
// $keys: every node key the batch touches; rows name nodes by position in it, so each node is
//   looked up once per batch rather than once per relationship. A missing node makes the
//   batch write nothing, which the loader reports as an incomplete snapshot.
// $groups: [[holder, provenance, [[target, type, service, conditional, act, prov,
//   conditionKeys, viaAccount], ...]], ...]; `provenance` is the holder's list of distinct
//   provenance JSON documents and `prov` indexes it; `act` indexes the snapshot's `actions`
//   (written at commit). `conditional`, `conditionKeys` and `viaAccount` are null unless set,
//   so that a relationship's properties fit one property record (docs/graph-model.md).
// Each batch runs in its own transaction of a fresh snapshot, so CREATE cannot duplicate.
UNWIND range(0, size($keys) - 1) AS i
MATCH (n:Entity {key: $keys[i]})
WITH i, n ORDER BY i
WITH collect(n) AS ns
WHERE size(ns) = size($keys)
UNWIND $groups AS grp
WITH ns, grp, ns[grp[0]] AS a
SET a.grantProvenance = grp[1]
WITH ns, grp, a
UNWIND grp[2] AS r
WITH a, ns[r[0]] AS b, r
CREATE (a)-[g:$(r[1])]->(b)
SET g.service = r[2], g.conditional = r[3], g.act = r[4], g.prov = r[5],
    g.conditionKeys = r[6], g.viaAccount = r[7]
RETURN count(*) AS n
