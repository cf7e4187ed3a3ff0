#!/usr/bin/env python3
"""KMS conformance runner: boto3 calls against `keyward serve`, each compared with AWS's exact answer.

FORMAT (README). Every tests/conformance/*.json is {"about": "...", "cases": [CASE, ...]}, run in
file order; saved names are per file, so files are independent. A CASE is
  {"name": "unique text", "op": "CreateKey", "args": {...}, "as": "ADMIN", "region": "us-east-1",
   "save": {"k": "KeyMetadata.KeyId"}, "expect": {...}, "source": "AWS doc URL"}
`as` (default ADMIN) names a principal of run.sh (ADMIN and OTHER have kms:* by IAM in accounts
111122223333 and 444455556666; CAROL_NOIAM has no IAM policy); `region` defaults to us-east-1.
A case without `expect` is a setup step: it must succeed and is not counted as a check.
`expect` is {"error": CODE, "message": TEXT} (a message of null means the response carries no
`message` member at all; with "message_unpublished": true the message is not compared, for a
code whose text AWS does not publish), or {"fields": {PATH: VALUE}, "absent": [PATH], "contains": {PATH:
{SUBSET}}, "length": {PATH: N}} for a success. PATH is dotted, list indexes as numbers
("Aliases.0.AliasName"). In args and expected values, "${name}" is replaced by a saved value or a
builtin (ADMIN_ARN, ADMIN_ACCOUNT, OTHER_ARN, OTHER_ACCOUNT, REGION); objects {"$bytes": N} (N
bytes of 'x'), {"$utf8": TEXT}, {"$b64": TEXT}, {"$ref": NAME} (a saved value as it was, bytes
included) and {"$json": VALUE} (VALUE serialized, after substitution) build values.
Usage: run.py [FILE.json | NAME-SUBSTRING ...]; prints one line per check and `N checks passed, M
failed`; exits 1 on any failure.
"""

import base64
import glob
import json
import os
import re
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
ENDPOINT = os.environ["KEYWARD_ENDPOINT"]
CLIENTS = {}


def client(who, region):
    k = (who, region)
    if k not in CLIENTS:
        c = boto3.client(
            "kms",
            endpoint_url=ENDPOINT,
            region_name=region,
            aws_access_key_id=os.environ[f"KW_{who}_ID"],
            aws_secret_access_key=os.environ[f"KW_{who}_SECRET"],
            config=botocore.config.Config(
                retries={"max_attempts": 1}, connect_timeout=5, read_timeout=60, parameter_validation=False
            ),
        )
        c.meta.events.register("after-call.kms", lambda http_response, **_: RAW.__setitem__(0, http_response.content))
        CLIENTS[k] = c
    return CLIENTS[k]


RAW = [b""]
VAR = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def builtins(region):
    out = {"REGION": region}
    for name in ("ADMIN", "OTHER", "CAROL_NOIAM"):
        arn = os.environ.get(f"KW_{name}_ARN", "")
        out[f"{name}_ARN"] = arn
        out[f"{name}_ACCOUNT"] = arn.split(":")[4] if arn.count(":") >= 5 else ""
    return out


def subst(v, env):
    if isinstance(v, str):
        def one(m):
            if m.group(1) not in env:
                raise KeyError(f"unknown name ${{{m.group(1)}}}")
            return str(env[m.group(1)])
        return VAR.sub(one, v)
    if isinstance(v, list):
        return [subst(x, env) for x in v]
    if isinstance(v, dict):
        if len(v) == 1:
            (k, x), = v.items()
            if k == "$bytes":
                return b"x" * x
            if k == "$utf8":
                return subst(x, env).encode()
            if k == "$b64":
                return base64.b64decode(x)
            if k == "$ref":
                return env[x]
            if k == "$json":
                return json.dumps(subst(x, env))
        return {k: subst(x, env) for k, x in v.items()}
    return v


def at(obj, path):
    """The value at a dotted path, or a KeyError naming the missing part."""
    for part in path.split("."):
        if isinstance(obj, list):
            obj = obj[int(part)]
        elif isinstance(obj, dict) and part in obj:
            obj = obj[part]
        else:
            raise KeyError(path)
    return obj


def norm(v):
    # Timestamps come back as datetimes; compare them as text only when a case asks for one.
    return v.isoformat() if hasattr(v, "isoformat") else v


def subset(small, big):
    if isinstance(small, dict):
        return isinstance(big, dict) and all(k in big and subset(x, big[k]) for k, x in small.items())
    return norm(big) == small


MISSING = object()


def lookup(obj, path):
    """The value at a path, or MISSING."""
    try:
        return at(obj, path)
    except (KeyError, IndexError, ValueError, TypeError):
        return MISSING


def check_success(out, expect, env):
    problems = []
    for path in expect.get("absent", []):
        got = lookup(out, path)
        if got is not MISSING:
            problems.append(f"{path} present ({got!r})")
    checks = [
        ("fields", lambda got, want: norm(got) == want, "{path} = {got!r}, want {want!r}"),
        ("contains", lambda got, want: any(subset(want, x) for x in got), "{path} has no element matching {want!r}"),
        ("length", lambda got, want: len(got) == want, "len({path}) = {n}, want {want}"),
    ]
    for key, good, text in checks:
        for path, want in subst(expect.get(key, {}), env).items():
            got = lookup(out, path)
            if got is MISSING:
                problems.append(f"{path} missing")
            elif not good(got, want):
                n = len(got) if hasattr(got, "__len__") else None
                problems.append(text.format(path=path, got=norm(got), want=want, n=n))
    return problems


def run_case(case, env):
    """Returns (is_check, problems)."""
    region = case.get("region", "us-east-1")
    env = {**env, **builtins(region)}
    c = client(case.get("as", "ADMIN"), region)
    method = re.sub(r"(?<!^)(?=[A-Z])", "_", case["op"]).lower()
    args = subst(case.get("args", {}), env)
    expect = case.get("expect")
    try:
        out = getattr(c, method)(**args)
        err = None
    except ClientError as e:
        out, err = None, e
    if err is not None:
        code = err.response["Error"]["Code"]
        try:
            body = json.loads(RAW[0] or b"{}")
        except ValueError:
            body = {}
        message = body.get("message", body.get("Message"))
        if expect is None or "error" not in expect:
            return expect is not None, [f"unexpected {code}: {message}"]
        problems = []
        if code != expect["error"]:
            problems.append(f"code {code}, want {expect['error']}")
        want = subst(expect.get("message"), env)
        if message != want and not expect.get("message_unpublished"):
            problems.append(f"message {message!r}, want {want!r}")
        return True, problems
    for name, path in case.get("save", {}).items():
        env_out = at(out, path)
        SAVED[name] = env_out
    if expect is None:
        return False, []
    if "error" in expect:
        return True, [f"succeeded, want {expect['error']}"]
    return True, check_success(out, expect, env)


SAVED = {}


def main(argv):
    files = sorted(glob.glob(os.path.join(HERE, "*.json")))
    chosen = [a for a in argv if a.endswith(".json")]
    filters = [a for a in argv if not a.endswith(".json")]
    if chosen:
        files = [f for f in files if os.path.basename(f) in {os.path.basename(c) for c in chosen}]
    passed = failed = 0
    names = set()
    for path in files:
        try:
            with open(path, encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, ValueError) as e:
            print(f"FAIL {os.path.basename(path)}: {e}")
            failed += 1
            continue
        SAVED.clear()
        base = os.path.basename(path)
        for i, case in enumerate(doc["cases"]):
            name = case.get("name", f"step {i}")
            where = f"{base}#{i} {name}"
            if "expect" in case:
                if name in names:
                    print(f"FAIL {where}: duplicate case name")
                    failed += 1
                names.add(name)
            try:
                is_check, problems = run_case(case, dict(SAVED))
            except Exception as e:  # a broken case is a failure, never a crash of the run
                is_check, problems = True, [f"{type(e).__name__}: {e}"]
            if filters and not any(f in name for f in filters) and not problems:
                continue
            if problems:
                failed += 1
                print(f"FAIL {where}: {'; '.join(problems)}")
            elif is_check:
                passed += 1
                print(f"ok   {where}")
    print(f"{passed} checks passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
