// The k9 type of each resource id in $ids that the snapshot holds.
UNWIND $ids AS id
MATCH (r:Resource {snapshot: $snapshot, id: id})
RETURN id, r.resourceType AS kind
