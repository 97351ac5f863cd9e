#!/usr/bin/env python3
"""Runs one command and appends its wall time and peak RSS to a JSON-lines file.

    measure.py --log FILE --label LABEL [--stdout FILE] [--stderr FILE] -- COMMAND...

Wall time is monotonic, from spawn to exit. Peak RSS is `ru_maxrss` of the child from
wait4(2): the largest resident set of the process or of any descendant it waited for (the same
figure as /usr/bin/time -v "Maximum resident set size"). Exits with the command's status.
"""

import argparse
import json
import os
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--stdout")
    ap.add_argument("--stderr")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    out = open(a.stdout, "wb") if a.stdout else None
    err = open(a.stderr, "wb") if a.stderr else None
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdout=out, stderr=err)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    p.returncode = code
    rec = {"label": a.label, "wall": round(wall, 3), "maxrss_kb": ru.ru_maxrss,
           "user": round(ru.ru_utime, 3), "sys": round(ru.ru_stime, 3), "exit": code}
    with open(a.log, "a") as f:
        f.write(json.dumps(rec) + "\n")
    print(f"  {a.label}: {wall:.2f} s, {ru.ru_maxrss / 1024:.0f} MB, exit {code}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
