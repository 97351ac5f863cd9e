// Access-path expansion of a trusted account: its principals' grants into the target that
// exist only through the trust of their whole account. $items = [{target, account, f, services}].
UNWIND $items AS it
MATCH (r:Resource {snapshot: $snapshot, id: it.target})<-[g]-(p:Principal)
WHERE g.viaAccount = it.account AND g.service IN it.services
RETURN it.target AS target, it.account AS account, it.f AS f,
       p.id AS id, p.nodeKind AS kind, g.service AS service, type(g) AS capability
