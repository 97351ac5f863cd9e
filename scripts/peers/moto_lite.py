#!/usr/bin/env python3
"""moto_server with only the AWS managed policies a snapshot attaches (run with the project's
venv Python, the one scripts/pyenv prints as PATHHOUND_PYTHON).

    moto_lite.py --aws-managed FILE [moto_server arguments: -H 127.0.0.1 -p PORT]

moto either loads none of AWS's managed policies (MOTO_IAM_LOAD_MANAGED_POLICIES unset: then
nothing can attach arn:aws:iam::aws:policy/...) or all ~1,400 of its bundled copy, which every
GetAccountAuthorizationDetails then lists. This wrapper turns loading on and replaces moto's
bundled data, before the server starts, with FILE: a JSON object in moto's own format
(name -> {Path, DefaultVersionId, Document, CreateDate, UpdateDate}), written by
`seed.py aws-managed` from the snapshot's iam.json, so the policies moto serves carry the
snapshot's documents.

moto 5.2.5 also has no permissions boundaries on users (CreateUser drops the parameter,
PutUserPermissionsBoundary answers HTTP 500 "not implemented", GAAD never lists one); the
wrapper adds them the way moto does it for roles: PutUserPermissionsBoundary and
DeleteUserPermissionsBoundary set the user's boundary ARN, and GetUser and GAAD show it.
Everything is patched at import time; nothing in site-packages is edited.
"""

import json
import os
import sys


def add_user_boundaries(iam_models):
    from moto.core.responses import EmptyResult
    from moto.iam.responses import IamResponse

    def boundary(user):
        arn = getattr(user, "permissions_boundary_arn", None)
        if not arn:
            return None
        return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                "PermissionsBoundaryArn": arn}

    iam_models.User.permissions_boundary = property(boundary)

    def put(backend, user_name, arn):
        backend.get_user(user_name).permissions_boundary_arn = arn

    def delete(backend, user_name):
        backend.get_user(user_name).permissions_boundary_arn = None

    iam_models.IAMBackend.put_user_permissions_boundary = put
    iam_models.IAMBackend.delete_user_permissions_boundary = delete

    def put_response(self):
        self.backend.put_user_permissions_boundary(
            self._get_param("UserName"), self._get_param("PermissionsBoundary"))
        return EmptyResult()

    def delete_response(self):
        self.backend.delete_user_permissions_boundary(self._get_param("UserName"))
        return EmptyResult()

    IamResponse.put_user_permissions_boundary = put_response
    IamResponse.delete_user_permissions_boundary = delete_response


def main():
    argv = sys.argv[1:]
    if len(argv) < 2 or argv[0] != "--aws-managed":
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        data = json.load(f)
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    import moto.iam.models as iam_models

    iam_models.aws_managed_policies_data = json.dumps(data)
    add_user_boundaries(iam_models)
    from moto.server import main as server_main

    server_main(argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
