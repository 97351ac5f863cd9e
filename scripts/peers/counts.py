#!/usr/bin/env python3
"""What each tool reports, as one JSON object on stdout (scripts/bench-peers).

    counts.py pathhound FILE        indirect-admins output: {"admins", "indirectAdmins"}
    counts.py pmapper STORAGE ANALYSIS.json
                                    PMapper's stored graph (nodes.json: is_admin) and its
                                    `analysis --output-type json` (the privilege-escalation
                                    finding lists one principal per line)
    counts.py cloudsplaining FINDINGS.json
                                    policies with privilege-escalation findings, and the
                                    principals they are attached to (groups' members included)
"""

import glob
import json
import os
import re
import sys


def principal(e):
    return e if isinstance(e, str) else e.get("principal")


def pathhound(path):
    with open(path) as f:
        d = json.load(f)
    admins = {principal(e) for e in d.get("admins", [])}
    indirect = {principal(e) for e in d.get("indirectAdmins", [])}
    return {"admins": len(admins), "indirectAdmins": len(indirect)}


def pmapper(storage, analysis):
    nodes_files = glob.glob(os.path.join(storage, "*", "graph", "nodes.json"))
    admins = 0
    nodes = 0
    for nf in nodes_files:
        with open(nf) as f:
            for n in json.load(f):
                nodes += 1
                admins += bool(n.get("is_admin"))
    with open(analysis) as f:
        report = json.load(f)
    privesc = set()
    for finding in report.get("findings", []):
        if "Escalate Privileges" in finding.get("title", ""):
            privesc.update(re.findall(r"^\* (\S+) can escalate privileges", finding["description"], re.M))
    edges = 0
    for ef in glob.glob(os.path.join(storage, "*", "graph", "edges.json")):
        with open(ef) as f:
            edges += len(json.load(f))
    return {"nodes": nodes, "edges": edges, "admins": admins, "privesc": len(privesc),
            "findings": len(report.get("findings", []))}


def cloudsplaining(path):
    with open(path) as f:
        d = json.load(f)
    policies = 0
    users, roles, groups = set(), set(), set()
    for kind in ("aws_managed_policies", "customer_managed_policies", "inline_policies"):
        for p in d.get(kind, {}).values():
            if (p.get("PrivilegeEscalation") or {}).get("findings"):
                policies += 1
                at = p.get("AttachedTo", {})
                users.update(at.get("users", []))
                roles.update(at.get("roles", []))
                groups.update(at.get("groups", []))
    for u in d.get("users", {}).values():
        if set(u.get("groups", {})) & groups:
            users.add(u["name"])
    return {"privescPolicies": policies, "privescPrincipals": len(users) + len(roles),
            "privescUsers": len(users), "privescRoles": len(roles), "privescGroups": len(groups)}


def main():
    kind, args = sys.argv[1], sys.argv[2:]
    print(json.dumps({"pathhound": pathhound, "pmapper": pmapper,
                      "cloudsplaining": cloudsplaining}[kind](*args)))


if __name__ == "__main__":
    main()
