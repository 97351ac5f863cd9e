// Access-path expansion: the own (not delegated) grants into each target, restricted to the
// item's services, with the target's resource-policy principal order.
// $items = [{target, f, services}]; `f` is echoed back.
UNWIND $items AS it
MATCH (r:Resource {snapshot: $snapshot, id: it.target})
OPTIONAL MATCH (r)<-[g]-(h:Entity)
WHERE g.service IN it.services AND g.viaAccount IS NULL
RETURN it.target AS target, it.f AS f, r.policyOrder AS policyOrder,
       h.id AS id, h.nodeKind AS kind, g.service AS service, type(g) AS capability
