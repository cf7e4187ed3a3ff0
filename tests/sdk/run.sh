#!/usr/bin/env bash
# Real AWS clients against `keyward serve`: boto3, the aws CLI and aws-encryption-sdk, from a
# fresh venv (PyPI), and the JS SDK v3 (npm) for IAM/STS, against target/release/keyward on
# 127.0.0.1 with a temporary state dir.
# Bounded: pip and the workflow run under timeouts, and the server is stopped on exit.
# Env: KEYWARD_BIN (default target/release/keyward), KEYWARD_SDK_VENV (reuse a venv that
# already has the packages, skipping pip).
set -euo pipefail
. "$(dirname "$0")/../lib/serve_addr.sh"
cd "$(dirname "$0")/../.."
BIN=${KEYWARD_BIN:-target/release/keyward}
[ -x "$BIN" ] || cargo build --release -p keyward-cli --locked
TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

if [ -n "${KEYWARD_SDK_VENV:-}" ]; then
  VENV=$KEYWARD_SDK_VENV
else
  VENV=$TMP/venv
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    # Debian's python3 ships venv separately.
    (apt-get update -qq && apt-get install -y -qq python3-venv) >/dev/null
    rm -rf "$VENV"; python3 -m venv "$VENV"
  fi
  timeout 600 "$VENV/bin/pip" install --quiet --disable-pip-version-check 'boto3>=1.44.8' awscli 'aws-encryption-sdk[MPL]' \
    'cryptography>=48' dilithium-py kyber-py
fi

STATE=$TMP/state
ACCT=111122223333
iam() { "$BIN" iam --state "$STATE" "$@"; }
key_for() { # principal -> "ID SECRET"
  iam create-access-key --principal "$1" |
    "$VENV/bin/python" -c 'import json,sys; k=json.load(sys.stdin)["AccessKey"]; print(k["AccessKeyId"], k["SecretAccessKey"])'
}
iam put-user --arn "arn:aws:iam::$ACCT:user/alice" >/dev/null
iam put-user --arn "arn:aws:iam::$ACCT:user/bob" \
  --policy 'KmsAll={"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}' >/dev/null
iam put-user --arn "arn:aws:iam::$ACCT:user/carol" >/dev/null
# A role that may encrypt but not decrypt, and an access key of one of its sessions.
iam put-role --arn "arn:aws:iam::$ACCT:role/app" \
  --policy 'Enc={"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}]}' >/dev/null
read -r KW_ADMIN_ID KW_ADMIN_SECRET < <(key_for "arn:aws:iam::$ACCT:user/admin")
read -r KW_ALICE_ID KW_ALICE_SECRET < <(key_for "arn:aws:iam::$ACCT:user/alice")
read -r KW_BOB_ID KW_BOB_SECRET < <(key_for "arn:aws:iam::$ACCT:user/bob")
read -r KW_CAROL_ID KW_CAROL_SECRET < <(key_for "arn:aws:iam::$ACCT:user/carol")
read -r KW_APP_ID KW_APP_SECRET < <(key_for "arn:aws:sts::$ACCT:assumed-role/app/ct-session")
export KW_ADMIN_ID KW_ADMIN_SECRET KW_ALICE_ID KW_ALICE_SECRET KW_BOB_ID KW_BOB_SECRET KW_CAROL_ID KW_CAROL_SECRET
export KW_APP_ID KW_APP_SECRET

"$BIN" serve --addr 127.0.0.1:0 --state "$STATE" --cloudtrail "$TMP/trail" --cloudtrail-roll-events 5 >"$TMP/access.log" 2>"$TMP/server.err" &
SERVER_PID=$!
ADDR=$(serve_addr "$SERVER_PID" "$TMP/server.err") || exit 1
echo "keyward serve at $ADDR"

rc=0
KEYWARD_ENDPOINT=$ADDR KW_AWS_CLI="$VENV/bin/aws" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  timeout 600 "$VENV/bin/python" tests/sdk/boto3_workflow.py || rc=$?
# The CloudTrail workflow (issue 19): allowed and denied calls as a user and a role session.
KEYWARD_ENDPOINT=$ADDR KW_SECRETS_FILE="$TMP/secrets.json" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  timeout 300 "$VENV/bin/python" tests/sdk/cloudtrail_workflow.py || rc=$?
# Regions and multi-Region keys through the same server.
KEYWARD_ENDPOINT=$ADDR AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  timeout 300 "$VENV/bin/python" tests/sdk/boto3_regions.py || rc=$?
# The newer key specs, checked with independent implementations (cryptography, dilithium-py,
# kyber-py; cryptography has ML-KEM from 48).
KEYWARD_ENDPOINT=$ADDR AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  timeout 300 "$VENV/bin/python" tests/sdk/boto3_key_specs.py || rc=$?
# Imported key material wrapped by `cryptography` with each of AWS's wrapping algorithms.
KEYWARD_ENDPOINT=$ADDR AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  timeout 300 "$VENV/bin/python" tests/sdk/boto3_import.py || rc=$?

# The JS SDK v3 (IAM, STS, KMS clients from npm) for one IAM/STS flow against this server.
mkdir -p "$TMP/js"
if (cd "$TMP/js" && timeout 600 npm install --no-audit --no-fund --silent \
      @aws-sdk/client-iam @aws-sdk/client-sts @aws-sdk/client-kms); then
  KEYWARD_ENDPOINT=$ADDR NODE_PATH="$TMP/js/node_modules" NODE_NO_WARNINGS=1 \
    timeout 300 node tests/sdk/js_iam_sts.mjs || rc=$?
else
  echo "FAIL npm could not install the JS SDK v3 clients"; rc=1
fi

# IAM and STS: an identity world built through the SDKs (its own server, with --test-clock).
KEYWARD_BIN=$BIN KW_AWS_CLI="$VENV/bin/aws" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  timeout 600 "$VENV/bin/python" tests/sdk/iam_sts_workflow.py || rc=$?

# The trail is explained while the server runs: the state is read without its lock.
"$BIN" explain --cloudtrail "$TMP/trail" --state "$STATE" >"$TMP/explain.out" 2>&1 && erc=0 || erc=$?
if [ "$erc" != 1 ] || ! grep -q "as AWS did" "$TMP/explain.out"; then
  echo "FAIL explain --cloudtrail --state while the server runs (exit $erc)"; tail -5 "$TMP/explain.out"; rc=1
else
  echo "ok   explain --cloudtrail --state while the server runs"
fi
# The access log: one JSON line per call, and no secret in it.
lines=$(wc -l <"$TMP/access.log")
echo "access log: $lines lines"
if grep -q -F -e "$KW_ADMIN_SECRET" -e "$KW_BOB_SECRET" "$TMP/access.log" "$TMP/server.err"; then
  echo "FAIL a secret access key appears in the server output"; rc=1
fi
"$VENV/bin/python" -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/access.log" ||
  { echo "FAIL the access log is not JSON lines"; rc=1; }
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || { echo "FAIL the server did not exit cleanly on SIGTERM"; rc=1; }
SERVER_PID=
grep -q "denied (User: arn:aws:iam::$ACCT:user/bob is not authorized" "$TMP/server.err" ||
  { echo "FAIL x-keyward-explain: 1 did not log the denial trace"; rc=1; }
grep -q "keyward serve: stopped" "$TMP/server.err" || { echo "FAIL no clean-shutdown message"; rc=1; }
# The trail the server flushed on SIGTERM: layout, fields, AWS's examples, no secrets, and the
# denials explained from their events with the state (read while no server runs, and without
# its lock either way).
timeout 300 "$VENV/bin/python" tests/sdk/cloudtrail_check.py "$TMP/trail" "$STATE" "$BIN" "$TMP/secrets.json" \
  crates/keyward-kms/tests/data/cloudtrail_examples.json || rc=$?
[ "$rc" = 0 ] || { echo "--- server stderr"; tail -50 "$TMP/server.err"; }
exit "$rc"
