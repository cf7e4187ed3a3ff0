#!/usr/bin/env bash
# moto's server as an oracle for KMS API shapes and non-authorization behaviour: the same boto3
# workflow (tests/moto/oracle.py) against `keyward serve` and `moto_server`, both on 127.0.0.1
# with fresh state, compared field by field (enum values, field sets, types; not ids, ARN
# values or times). Known moto deviations are allow-listed in oracle.py with a reason.
# Bounded: pip, server start-up and the workflow run under timeouts; both servers are stopped
# on exit. Loopback only.
# Env: KEYWARD_BIN (default target/release/keyward), KEYWARD_SDK_VENV (reuse a venv that
# already has boto3 and moto[server], skipping pip).
set -euo pipefail
. "$(dirname "$0")/../lib/serve_addr.sh"
cd "$(dirname "$0")/../.."
BIN=${KEYWARD_BIN:-target/release/keyward}
[ -x "$BIN" ] || timeout 1800 cargo build --release -p keyward-cli --locked
TMP=$(mktemp -d)
KW_PID=
MOTO_PID=
stop() { # pid
  [ -n "$1" ] || return 0
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() { stop "$KW_PID"; stop "$MOTO_PID"; rm -rf "$TMP"; }
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
  timeout 600 "$VENV/bin/pip" install --quiet --disable-pip-version-check 'moto[server]' boto3
fi
PY=$VENV/bin/python
[ -x "$VENV/bin/moto_server" ] || { echo "no moto_server in $VENV (pip install 'moto[server]')"; exit 1; }

# keyward: access key first (the running server locks the state directory).
STATE=$TMP/state
read -r KW_ID KW_SECRET < <("$BIN" iam create-access-key --principal arn:aws:iam::111122223333:user/admin --state "$STATE" |
  "$PY" -c 'import json,sys; k=json.load(sys.stdin)["AccessKey"]; print(k["AccessKeyId"], k["SecretAccessKey"])')
"$BIN" serve --addr 127.0.0.1:0 --state "$STATE" --log-format off >/dev/null 2>"$TMP/keyward.err" &
KW_PID=$!
KW_ADDR=$(serve_addr "$KW_PID" "$TMP/keyward.err") || exit 1

# moto: a free loopback port (bind to 0, release, hand it to moto_server).
MOTO_PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$TMP/moto.log" 2>&1 &
MOTO_PID=$!
MOTO_ADDR=http://127.0.0.1:$MOTO_PORT
for _ in $(seq 1 150); do
  timeout 2 "$PY" -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1]+"/moto-api/", timeout=1)' "$MOTO_ADDR" 2>/dev/null && break
  kill -0 "$MOTO_PID" 2>/dev/null || { cat "$TMP/moto.log"; exit 1; }
  sleep 0.2
done
echo "keyward serve at $KW_ADDR, moto_server $("$PY" -c 'import moto; print(moto.__version__)') at $MOTO_ADDR"

rc=0
KEYWARD_ENDPOINT=$KW_ADDR KW_ID=$KW_ID KW_SECRET=$KW_SECRET MOTO_ENDPOINT=$MOTO_ADDR \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  timeout 300 "$PY" tests/moto/oracle.py || rc=$?
if [ "$rc" != 0 ]; then
  echo "--- keyward serve stderr"; tail -20 "$TMP/keyward.err"
  echo "--- moto_server log"; tail -20 "$TMP/moto.log"
fi
exit "$rc"
