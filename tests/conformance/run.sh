#!/usr/bin/env bash
# The KMS conformance suite: every case in tests/conformance/*.json (format: the docstring at the
# top of run.py) sent with boto3 to a fresh `keyward serve` on 127.0.0.1, its answer compared with
# the exact response AWS KMS gives (code, message, fields). Called by tests/sdk/run.sh (the sdk
# stage of scripts/test); runs on its own too.
# Env: KEYWARD_BIN (default target/release/keyward), KEYWARD_SDK_VENV (a venv with boto3 and
# cryptography),
# and any arguments are passed to run.py (file names or case-name filters).
set -euo pipefail
. "$(dirname "$0")/../lib/serve_addr.sh"
cd "$(dirname "$0")/../.."
BIN=${KEYWARD_BIN:-target/release/keyward}
[ -x "$BIN" ] || timeout 1800 cargo build --release -p keyward-cli --locked
TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
if [ -n "${KEYWARD_SDK_VENV:-}" ]; then
  PY=$KEYWARD_SDK_VENV/bin/python
else
  python3 -m venv "$TMP/venv"
  timeout 600 "$TMP/venv/bin/pip" install --quiet --disable-pip-version-check 'boto3>=1.44.8' cryptography
  PY=$TMP/venv/bin/python
fi

# The principals the cases act as (`"as"` in a case): NAME=ARN, each given kms:* by IAM unless
# its name ends in _NOIAM. KW_<NAME>_ID / KW_<NAME>_SECRET reach run.py.
STATE=$TMP/state
KMS_ALL='KmsAll={"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}'
PRINCIPALS=(
  ADMIN=arn:aws:iam::111122223333:user/admin
  OTHER=arn:aws:iam::444455556666:user/other
  CAROL_NOIAM=arn:aws:iam::111122223333:user/carol
)
for entry in "${PRINCIPALS[@]}"; do
  name=${entry%%=*}; arn=${entry#*=}
  if [[ $name == *_NOIAM ]]; then
    "$BIN" iam put-user --state "$STATE" --arn "$arn" >/dev/null
  else
    "$BIN" iam put-user --state "$STATE" --arn "$arn" --policy "$KMS_ALL" >/dev/null
  fi
  read -r id secret < <("$BIN" iam create-access-key --state "$STATE" --principal "$arn" |
    "$PY" -c 'import json,sys; k=json.load(sys.stdin)["AccessKey"]; print(k["AccessKeyId"], k["SecretAccessKey"])')
  export "KW_${name}_ID=$id" "KW_${name}_SECRET=$secret" "KW_${name}_ARN=$arn"
done

# --test-clock: cases move the server's clock to let imported key material expire.
"$BIN" serve --addr 127.0.0.1:0 --state "$STATE" --test-clock --log-format off >/dev/null 2>"$TMP/server.err" &
SERVER_PID=$!
ADDR=$(serve_addr "$SERVER_PID" "$TMP/server.err") || exit 1

rc=0
KEYWARD_ENDPOINT=$ADDR AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  timeout 600 "$PY" tests/conformance/run.py "$@" || rc=$?
[ "$rc" = 0 ] || { echo "--- server stderr"; tail -20 "$TMP/server.err"; }
exit "$rc"
