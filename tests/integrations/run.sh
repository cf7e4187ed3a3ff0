#!/usr/bin/env bash
# Tests the CI integrations on two sample repositories (tests/integrations/sample/): `good`
# (a clean key policy, passing scenarios) and `bad` (a mistyped action at 15:17, which also
# makes a scenario case fail).
#   1. pre-commit from PyPI: `pre-commit try-repo` of this repository's .pre-commit-hooks.yaml;
#      keyward-lint and keyward-test pass on good, fail on bad with file:line:col in the output.
#   2. action.yml: its composite steps run by action_runner.py; on good every step passes and the
#      SARIF has no result; on bad the job fails, the SARIF points at key-app.json 15:17, the
#      annotations name the line, and the upload step would send the SARIF.
# keyward: $KEYWARD_BIN, else the release build (built if missing or stale).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
if [ -z "${KEYWARD_BIN:-}" ]; then
  cargo build --release -p keyward-cli --locked -q
  KEYWARD_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/keyward"
fi
BIN_DIR=$(mktemp -d); ln -s "$(realpath "$KEYWARD_BIN")" "$BIN_DIR/keyward"
export PATH="$BIN_DIR:$PATH"

TOOLS=${KEYWARD_TOOLS:-$HOME/.cache/keyward-tools}
VENV="$TOOLS/integrations-venv"
if [ ! -x "$VENV/bin/pre-commit" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --only-binary=:all: "pre-commit==4.*" "PyYAML==6.*"
fi
export PRE_COMMIT_HOME="$TOOLS/pre-commit-cache"
export GIT_AUTHOR_NAME=keyward GIT_AUTHOR_EMAIL=ci@keyward.invalid
export GIT_COMMITTER_NAME=keyward GIT_COMMITTER_EMAIL=ci@keyward.invalid

WORK=$(mktemp -d); trap 'rm -rf "$WORK" "$BIN_DIR"' EXIT
pass=0; fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
expect() { # expect NAME WANT_RC GOT_RC OUTPUT_FILE [REGEX...]
  local name=$1 want=$2 got=$3 out=$4; shift 4
  if [ "$want" = 0 ] && [ "$got" != 0 ] || [ "$want" != 0 ] && [ "$got" = 0 ]; then
    bad "$name: exit $got, wanted $([ "$want" = 0 ] && echo 0 || echo non-zero)"; sed 's/^/     | /' "$out"; return
  fi
  for re in "$@"; do
    grep -Eq -- "$re" "$out" || { bad "$name: output lacks /$re/"; sed 's/^/     | /' "$out"; return; }
  done
  ok "$name"
}

for sample in good bad; do
  repo="$WORK/$sample"; cp -r "tests/integrations/sample/$sample" "$repo"
  git -C "$repo" init -q; git -C "$repo" add -A; git -C "$repo" commit -qm sample
done

echo "== pre-commit try-repo ($("$VENV/bin/pre-commit" --version))"
for hook in keyward-lint keyward-test; do
  for sample in good bad; do
    out="$WORK/$sample-$hook.out"
    set +e; (cd "$WORK/$sample" && "$VENV/bin/pre-commit" try-repo "$ROOT" "$hook" --all-files) >"$out" 2>&1; rc=$?; set -e
    case "$sample-$hook" in
      good-*) expect "pre-commit $hook on the good repository passes" 0 "$rc" "$out" 'Passed' ;;
      bad-keyward-lint) expect "pre-commit keyward-lint on the bad repository fails at file:line:col" 1 "$rc" "$out" \
        'Failed' 'policies/key-app\.json:15:17' 'invalid-action' ;;
      bad-keyward-test) expect "pre-commit keyward-test on the bad repository fails with the case and trace" 1 "$rc" "$out" \
        'Failed' 'FAIL tests/scenarios/app\.json:11:5 App decrypts with the Finance context' '\| DENIED' ;;
    esac
  done
done

echo "== action.yml (composite steps run locally)"
for sample in good bad; do
  out="$WORK/$sample-action.out"
  set +e
  "$VENV/bin/python" tests/integrations/action_runner.py action.yml "$WORK/$sample" \
    install=path paths=policies scenarios=tests/scenarios fail-on=error >"$out" 2>&1
  set -e
  summary=$(tail -n 1 "$out")
  sarif="$WORK/$sample/keyward.sarif"
  check=$("$VENV/bin/python" - "$summary" "$sarif" "$sample" <<'PY'
import json, sys
summary, sarif, sample = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
steps = {s["name"]: s for s in summary["steps"]}
results = json.load(open(sarif))["runs"][0]["results"]
upload = steps["Upload SARIF to code scanning"]
problems = []
if upload.get("with", {}).get("sarif_file") != "keyward.sarif":
    problems.append(f"upload step: {upload}")
if sample == "good":
    if summary["failed"] or results:
        problems.append(f"good: failed={summary['failed']} results={len(results)}")
else:
    loc = results[0]["locations"][0]["physicalLocation"] if results else {}
    where = (loc.get("artifactLocation", {}).get("uri"), loc.get("region", {}).get("startLine"),
             loc.get("region", {}).get("startColumn"))
    if not summary["failed"] or where != ("policies/key-app.json", 15, 17):
        problems.append(f"bad: failed={summary['failed']} first result at {where}")
    if steps["keyward lint"]["outputs"].get("exit-code") != "1":
        problems.append(f"bad: lint exit-code output {steps['keyward lint']['outputs']}")
    if steps["keyward test"]["outcome"] != "failure":
        problems.append("bad: keyward test step did not fail")
print("; ".join(problems) or "ok")
PY
)
  if [ "$check" = ok ]; then
    if [ "$sample" = bad ]; then
      expect "action on the bad repository: annotations at the line" 1 1 "$out" '::error file=policies/key-app\.json,line=15'
    else
      ok "action on the good repository: every step passes, SARIF empty"
    fi
  else
    bad "action on the $sample repository: $check"; sed 's/^/     | /' "$out"
  fi
done

echo "integrations: $pass passed, $fail failed"
[ "$fail" = 0 ]
