#!/usr/bin/env python3
"""`pmapper` (PyPI principalmapper) with two compatibility shims, applied at import time
(nothing in site-packages is edited). Run with the peers venv Python, arguments as pmapper's:

    pmapper.py graph create --include-regions us-east-1
    pmapper.py analysis --output-type json

1. Python >= 3.10 removed the ABC aliases from `collections` (`collections.Mapping`, ...);
   principalmapper 1.1.5 still imports them (util/case_insensitive_dict.py). They are put back
   from `collections.abc` before principalmapper is imported.
2. moto 5.2.5's GetAccountAuthorizationDetails omits `PolicyName` (and `PolicyId`) in
   `Policies`, and PMapper reads `p['PolicyName']` for every managed policy (KeyError). A
   botocore after-call hook on the session PMapper creates fills them in from the ARN (the name
   is the ARN's last path segment, as in real AWS) when they are missing.
"""

import collections
import collections.abc
import sys

for _name in ("Mapping", "MutableMapping", "Sequence", "MutableSequence", "Iterable",
              "Iterator", "Callable", "Set", "MutableSet", "Hashable", "Sized", "Container"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))


def _fill_policy_names(parsed=None, **_kwargs):
    for p in (parsed or {}).get("Policies", []):
        if "PolicyName" not in p and "Arn" in p:
            p["PolicyName"] = p["Arn"].rsplit("/", 1)[-1]
        if "PolicyId" not in p:
            p["PolicyId"] = p.get("PolicyName", "")


def _install():
    from principalmapper.util import botocore_tools

    original = botocore_tools.get_session

    def get_session(*args, **kwargs):
        session = original(*args, **kwargs)
        session.register("after-call.iam.GetAccountAuthorizationDetails", _fill_policy_names)
        return session

    botocore_tools.get_session = get_session


def main():
    _install()
    from principalmapper.__main__ import main as pmapper_main

    return pmapper_main()


if __name__ == "__main__":
    sys.exit(main())
