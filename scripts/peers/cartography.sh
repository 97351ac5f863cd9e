#!/usr/bin/env bash
# Cartography's AWS IAM sync from moto into a private Neo4j, for scripts/bench-peers.
#
#   scripts/peers/cartography.sh SIZE MOTO_PORT WORKDIR CARTOGRAPHY_VENV MEASUREMENTS
#
# Starts (or reuses) Neo4j via scripts/neo4j with PATHHOUND_NEO4J_STATE
# [$HOME/.cache/pathhound-neo4j/peers-state], wipes it, runs `cartography --selected-modules aws
# --aws-requested-syncs iam` against moto once (timed by measure.py), and prints one line: what
# happened and, when it finished, the nodes it wrote. Never fails the bench: exit 0 with the
# reason on stdout when Neo4j does not start or Cartography aborts.
set -uo pipefail
n=$1 port=$2 W=$3 CVENV=$4 LOG=$5
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PATHHOUND_NEO4J_STATE="${PATHHOUND_NEO4J_STATE:-$HOME/.cache/pathhound-neo4j/peers-state}"
if ! env_lines=$("$ROOT/scripts/neo4j" env 2>/dev/null); then
  if ! env_lines=$("$ROOT/scripts/neo4j" start 2>"$W/neo4j-start.err"); then
    echo "not run: scripts/neo4j start failed ($(tail -1 "$W/neo4j-start.err" | cut -c1-200))"
    exit 0
  fi
fi
set -a; eval "$env_lines"; set +a
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  AWS_SESSION_TOKEN=testing AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 \
  AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/nonexistent/pathhound-peers/config \
  AWS_SHARED_CREDENTIALS_FILE=/nonexistent/pathhound-peers/credentials
# moto answers GenerateServiceLastAccessedDetails with HTTP 500; botocore's retries and
# Cartography's own backoff then take ~10 minutes to give up, so retries are off and the sync
# has CARTOGRAPHY_TIMEOUT seconds [180].
export AWS_MAX_ATTEMPTS=1
CPY="$CVENV/bin/python"
cypher() {
  "$CPY" - "$1" <<'PY'
import os, sys, json
from neo4j import GraphDatabase
d = GraphDatabase.driver(os.environ["NEO4J_URI"], auth=(os.environ["NEO4J_USER"], os.environ["NEO4J_PASSWORD"]))
with d.session() as s:
    if sys.argv[1] == "wipe":
        s.run("MATCH (x) CALL { WITH x DETACH DELETE x } IN TRANSACTIONS OF 10000 ROWS").consume()
    else:
        out = {}
        for label in ("AWSUser", "AWSRole", "AWSGroup", "AWSPolicy", "AWSPolicyStatement"):
            out[label] = s.run(f"MATCH (x:{label}) RETURN count(x) AS c").single()["c"]
        print(json.dumps(out))
d.close()
PY
}
cypher wipe 2>"$W/cartography-wipe.err" || { echo "not run: could not wipe Neo4j ($(tail -1 "$W/cartography-wipe.err" | cut -c1-200))"; exit 0; }
python3 "$ROOT/scripts/peers/measure.py" --log "$LOG" --label "$n/cartography/iam-sync/1" \
  --stdout "$W/cartography.out" --stderr "$W/cartography.err" -- \
  timeout "${CARTOGRAPHY_TIMEOUT:-180}" "$CVENV/bin/cartography" --neo4j-uri "$NEO4J_URI" --neo4j-user "$NEO4J_USER" \
  --neo4j-password-env-var NEO4J_PASSWORD --selected-modules aws --aws-requested-syncs iam \
  --aws-regions us-east-1
rc=$?
nodes=$(cypher count 2>/dev/null || echo '{}')
if [ "$rc" = 124 ]; then
  echo "timed out: \`cartography --selected-modules aws --aws-requested-syncs iam --aws-regions us-east-1\` did not finish in ${CARTOGRAPHY_TIMEOUT:-180} s ($(grep -c 'generate_service_last_accessed_details' "$W/moto.log" 2>/dev/null || echo 0) last-accessed calls answered HTTP 500 by moto); nodes in Neo4j: $nodes"
elif [ "$rc" = 0 ]; then
  echo "finished: \`cartography --selected-modules aws --aws-requested-syncs iam --aws-regions us-east-1\` exit 0; nodes in Neo4j: $nodes"
else
  reason=$(grep -E "Error|Exception|500" "$W/cartography.err" "$W/cartography.out" 2>/dev/null | tail -3 | sed 's/^[^:]*://' | cut -c1-300 | tr '\n' ' ')
  echo "aborted: \`cartography --selected-modules aws --aws-requested-syncs iam --aws-regions us-east-1\` exit $rc: $reason; nodes in Neo4j when it stopped: $nodes"
fi
