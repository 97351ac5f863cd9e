#!/usr/bin/env python3
"""Writes bench/PEERS.md (on stdout) from what scripts/bench-peers measured."""

import argparse
import json
import statistics
from collections import defaultdict

TOOLS = {
    "collect": [("pathhound", "pathhound", ["collect", "indirect-admins"]),
                ("pmapper", "PMapper", ["graph-create", "analysis"])],
    "offline": [("pathhound", "pathhound", ["indirect-admins"]),
                ("cloudsplaining", "Cloudsplaining", ["scan"])],
}
COMMANDS = {
    ("collect", "pathhound"): "`pathhound collect --out DIR2 --regions us-east-1` + `pathhound indirect-admins --snapshot DIR2`",
    ("collect", "pmapper"): "`pmapper graph create --include-regions us-east-1` + `pmapper analysis --output-type json`",
    ("offline", "pathhound"): "`pathhound indirect-admins --snapshot GAAD-DIR`",
    ("offline", "cloudsplaining"): "`cloudsplaining scan --input-file gaad.json --output DIR --skip-open-report`",
}
TITLES = {"collect": "collect from moto_server + analysis", "offline": "offline analysis of the same GAAD file"}


def jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def mb(kb):
    return f"{kb / 1024:,.0f} MB" if kb < 1024 * 1024 else f"{kb / 1048576:.2f} GB"


def secs(s):
    return f"{s:.2f} s" if s < 10 else f"{s:.1f} s"


def describe(tool, c):
    if c is None:
        return "(no output)"
    if tool == "pathhound":
        return f"{c['admins']} admins, {c['indirectAdmins']} indirect admins"
    if tool == "pmapper":
        return (f"{c['admins']} admins (of {c['nodes']} nodes, {c['edges']} edges), {c['privesc']} principals that can "
                f"escalate to admin; {c['findings']} findings in all")
    return (f"{c['privescPolicies']} policies with privilege-escalation findings, attached to "
            f"{c['privescPrincipals']} principals ({c['privescUsers']} users, incl. via "
            f"{c['privescGroups']} groups, and {c['privescRoles']} roles)")


def main():
    ap = argparse.ArgumentParser()
    for k in ("measurements", "counts", "checks", "date", "commit", "machine", "load", "command",
              "versions", "cartography", "reps"):
        ap.add_argument("--" + k, required=True)
    a = ap.parse_args()
    meas = jsonl(a.measurements)
    counts = {c["label"]: c["counts"] for c in jsonl(a.counts)}
    checks = jsonl(a.checks)

    # runs[size][pair][tool][rep][step] = record
    runs = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(dict))))
    carto = defaultdict(list)
    for m in meas:
        parts = m["label"].split("/")
        if parts[1] == "cartography":
            carto[parts[0]].append(m)
            continue
        size, pair, tool, step, rep = parts
        runs[size][pair][tool][int(rep)][step] = m

    p = print
    p("# Peers: pathhound, PMapper, Cloudsplaining (and Cartography) on the same account")
    p()
    p("Written by `scripts/bench-peers`; do not edit by hand.")
    p()
    p(f"- Date: {a.date}")
    p(f"- Code: {a.commit}")
    p(f"- Machine: {a.machine}")
    p(f"- Load average before / after: {a.load} (the machine may be shared)")
    p(f"- Command: `{a.command}`")
    p("- Tool versions:")
    for line in a.versions.splitlines():
        p(f"  - {line}")
    p()
    p("Each size is one account from `pathhound gen-org --accounts 1 --principals-per-account N "
      "--seed 1`, seeded into a fresh moto_server through the IAM API and read back. Every tool "
      f"runs {a.reps} times per pair, alternating (A then B on odd runs, B then A on even ones), "
      "on the same input. *Wall* is a run's wall time (the sum of its steps); the table gives the "
      "median of the runs, and the steps' medians in brackets. *Peak RSS* is the largest "
      "`ru_maxrss` (wait4) of any step of any run: each step is one process. *Ratio* is the "
      "peer's median over pathhound's. What each tool reports is from the last run (the runs "
      "agree unless noted).")
    for size in sorted(runs, key=int):
        p()
        p(f"## {int(size):,} principals")
        chk = [c for c in checks if str(c.get("size")) == size and "check" in c]
        if chk:
            c = chk[0]
            s = c["seed"]
            p()
            p(f"Snapshot: {c['gen'].strip()}. Seeded account {c['account']}: {s['users']} users, "
              f"{s['roles']} roles, {s['groups']} groups, {s['policies']} managed policies, "
              f"{s['apiCalls']:,} IAM calls in {s['seconds']} s. Read back (GAAD):")
            p()
            for k, v in c["check"]["counts"].items():
                p(f"- {k}: {v['snapshot']} in the snapshot, {v['moto']} from moto")
            for d in c["check"]["differences"]:
                p(f"- difference: {d}")
            for note in s.get("notes", []):
                p(f"- note: {note}")
        for pair in ("collect", "offline"):
            if pair not in runs[size]:
                continue
            p()
            p(f"### {TITLES[pair]}")
            p()
            p("| tool | commands | median wall | peak RSS | ratio (wall / RSS) | runs (wall) | reports |")
            p("|---|---|---:|---:|---:|---|---|")
            med = {}
            rss = {}
            for tool, name, steps in TOOLS[pair]:
                reps = runs[size][pair].get(tool, {})
                if not reps:
                    continue
                walls = [sum(r[s]["wall"] for s in steps if s in r) for _, r in sorted(reps.items())]
                failed = [f"run {k} {s} exit {r[s]['exit']}" for k, r in sorted(reps.items())
                          for s in steps if s in r and r[s]["exit"] != 0]
                med[tool] = statistics.median(walls)
                rss[tool] = max(r[s]["maxrss_kb"] for r in reps.values() for s in steps if s in r)
                step_meds = " + ".join(
                    f"{s} {secs(statistics.median(r[s]['wall'] for r in reps.values() if s in r))}"
                    for s in steps)
                step_rss = ", ".join(
                    f"{s} {mb(max(r[s]['maxrss_kb'] for r in reps.values() if s in r))}" for s in steps)
                last = max(reps)
                cs = [counts.get(f"{size}/{pair}/{tool}/{k}") for k in sorted(reps)]
                rep_txt = describe(tool, cs[-1])
                if any(c != cs[-1] for c in cs):
                    rep_txt += " (runs differ: " + "; ".join(describe(tool, c) for c in cs) + ")"
                if failed:
                    rep_txt += " **failed: " + ", ".join(failed) + "**"
                ratio = "1.0x / 1.0x" if tool == "pathhound" else (
                    f"**{med[tool] / med['pathhound']:.1f}x** / {rss[tool] / rss['pathhound']:.2f}x"
                    if "pathhound" in med and med["pathhound"] > 0 else "")
                p(f"| {name} | {COMMANDS[(pair, tool)]} | {secs(med[tool])} ({step_meds}) | "
                  f"{mb(rss[tool])} ({step_rss}) | {ratio} | "
                  f"{', '.join(secs(w) for w in walls)} | {rep_txt} |")
                _ = last
    p()
    p("## Cartography")
    p()
    if not any("cartography" in c for c in checks):
        p(a.cartography)
    for size, ms in sorted(carto.items(), key=lambda x: int(x[0])):
        for m in ms:
            p(f"- {int(size):,} principals, {m['label'].split('/', 2)[2]}: {secs(m['wall'])}, "
              f"{mb(m['maxrss_kb'])}, exit {m['exit']}")
    for c in checks:
        if "cartography" in c:
            p(f"- {int(c['size']):,} principals: {c['cartography']}")
    p()
    p("Cartography 0.143.0's AWS IAM sync reads users, roles, groups and policies, then asks "
      "GenerateServiceLastAccessedDetails for every principal; moto 5.2.5 does not implement it "
      "(HTTP 500), and Cartography's backoff retries it instead of aborting at once (with "
      "botocore's own retries on, a first try on a 2-principal test account took 619 s to fail). The sync "
      "runs once, on the first size, with `AWS_MAX_ATTEMPTS=1` and a timeout; what it had written "
      "to Neo4j by then is counted. It gives no admin or escalation answer of its own (it is a "
      "graph loader), so it is not in a pair.")
    p()
    p("## What differs between the tools' inputs and answers")
    p()
    p(INPUTS)


INPUTS = """\
- **Same account, different readers.** pathhound and PMapper each collect the account from
  the same moto_server (IAM via GetAccountAuthorizationDetails, plus each tool's own resource
  calls: pathhound reads S3, KMS, SQS, SNS, Secrets Manager and Lambda policies and the
  credential report in us-east-1; PMapper reads the same kinds of resource policies and, for
  its edges, EC2, Lambda, CloudFormation, CodeBuild, AutoScaling, SageMaker and SSM in
  us-east-1). moto holds only the IAM data (the snapshot's buckets and keys are not seeded),
  so neither finds resources.
- **The offline pair reads one file**: the GAAD read back from moto with boto3 (as
  `aws iam get-account-authorization-details` prints it), given to Cloudsplaining as
  `--input-file` and to pathhound as the `iam.json` of a snapshot folder with nothing else.
  moto omits `PolicyName`/`PolicyId` in `Policies` (real AWS has them; Cloudsplaining needs
  both), so the file has them filled in from the ARN and the snapshot.
- **moto's gaps, and what was done about them.** moto 5.2.5 has no permissions boundaries on
  users (CreateUser drops the parameter, PutUserPermissionsBoundary is not implemented);
  scripts/peers/moto_lite.py adds them at import time, so GAAD lists users' boundaries as the
  snapshot has them. moto loads either none or all ~1,400 AWS managed policies;
  moto_lite.py loads only the ones the snapshot attaches, with the snapshot's documents
  (the generator's PowerUserAccess is a shortened copy of AWS's). moto answers the
  last-accessed calls with HTTP 500, which none of the timed tools calls. The read-back check
  above compares every principal's path, inline policies, attachments, boundary, tags, group
  memberships, trust policy and instance profiles, and every managed policy's versions and
  default document, with the snapshot.
- **PMapper shims** (scripts/peers/pmapper.py, at import time): `collections.Mapping` etc.
  restored from `collections.abc` for Python >= 3.10, and `PolicyName` filled in from the ARN
  in moto's GAAD pages.
- **The answers are not the same question.** pathhound's *admins* are principals allowed
  every action on every resource of the account (conditions such as MFA are reported as
  conditional, not dropped), and *indirect admins* those with a path to an admin through role
  assumption and privilege-escalation primitives (docs/escalation.md). PMapper's *admins*
  are its `is_admin` nodes, and its privilege-escalation finding lists the non-admins with an
  edge path to one (`pmapper analysis`, the same search as `pmapper query 'preset privesc *'`).
  In these accounts every admin role's trust has a condition (the generator's admin roles and
  the management account's OrganizationAccountAccessRole trust the account root with
  `aws:MultiFactorAuthPresent`), so every path to an admin has a conditional step. pathhound
  reports such paths, marking the step `"conditional": true`, and counts the principal as an
  indirect admin. PMapper checks a role's trust policy with an empty request context
  (graphing/sts_edges.py), so a conditional trust statement does not match, it draws no edge,
  and nothing can escalate. Neither count is wrong for its own definition; they are not the
  same number.
  Cloudsplaining has no graph: it flags *policies* whose unconstrained actions allow
  privilege escalation (and exfiltration, exposure, ...), skipping policies in its default
  exclusions (AdministratorAccess, service roles); the principals column counts those the
  flagged policies are attached to, directly or through a group. Cloudsplaining also writes an
  HTML report, which is part of its scan.
"""

if __name__ == "__main__":
    main()
