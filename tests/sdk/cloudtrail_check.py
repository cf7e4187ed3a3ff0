#!/usr/bin/env python3
"""Checks the CloudTrail files `keyward serve --cloudtrail` wrote during the sdk stage (issue 19).

Usage: cloudtrail_check.py TRAIL_DIR STATE_DIR KEYWARD_BIN SECRETS_JSON EXAMPLES_JSON

- every file is in CloudTrail's S3 layout, gzip, `{"Records": [...]}`, and parses;
- every record carries the fields AWS documents for KMS events, with unique eventIDs;
- records of the operations whose AWS example the workflow mirrors have the example's fields
  (top level, userIdentity, requestParameters), fixed values equal (ids and times aside);
- no secret (plaintext, data key, key material, import token, ciphertext; as base64, hex or
  raw text) appears in any file;
- `keyward explain --cloudtrail TRAIL --state STATE` explains carol's and the role session's
  denied Decrypt with the rule that denied them.
Prints one line per check; exits 1 on any failure.
"""

import base64
import gzip
import json
import os
import re
import subprocess
import sys

FAILED = []
ACCOUNT = "111122223333"
DOCUMENTED = [
    "eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
    "sourceIPAddress", "userAgent", "requestParameters", "responseElements", "requestID",
    "eventID", "readOnly", "eventType", "managementEvent", "recipientAccountId", "eventCategory",
]
NAME = re.compile(
    r"AWSLogs/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/"
    r"\1_CloudTrail_\2_\3\4\5T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$"
)


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f" {detail}"))
    if not cond:
        FAILED.append(name)


def main():
    trail, state, binary, secrets_file, examples_file = sys.argv[1:6]
    files, texts, records = [], [], []
    for root, _, names in os.walk(trail):
        for n in names:
            files.append(os.path.join(root, n))
    visible = [f for f in files if not os.path.basename(f).startswith(".")]
    check("trail files written", len(visible) > 0, files)
    for f in sorted(visible):
        rel = os.path.relpath(f, trail)
        check(f"layout {rel}", NAME.search(rel) is not None)
        with gzip.open(f, "rt") as g:
            text = g.read()
        texts.append(text)
        recs = json.loads(text)["Records"]
        check(f"{rel}: Records", isinstance(recs, list) and len(recs) > 0)
        records += recs
    api = [r for r in records if r.get("eventType") == "AwsApiCall"]
    check("API calls recorded", len(api) >= 10, len(api))
    for r in api:
        missing = [k for k in DOCUMENTED if k not in r]
        what = f"{r.get('eventName')} {r.get('eventID')}"
        check(f"documented fields: {what}", not missing, missing)
        uid = r.get("userIdentity", {})
        ok = uid.get("type") in ("IAMUser", "AssumedRole", "Root", "AWSService") and uid.get("accessKeyId")
        if uid.get("type") == "AssumedRole":
            issuer = uid.get("sessionContext", {}).get("sessionIssuer", {})
            ok = ok and issuer.get("arn") == f"arn:aws:iam::{ACCOUNT}:role/app" and issuer.get("type") == "Role"
        check(f"userIdentity: {what}", ok, uid)
        check(f"fixed values: {what}", r["eventSource"] == "kms.amazonaws.com" and r["eventVersion"] == "1.11"
              and r["managementEvent"] is True and r["eventCategory"] == "Management"
              and r["recipientAccountId"] == ACCOUNT, r)
    ids = [r["eventID"] for r in records]
    check("eventIDs unique", len(ids) == len(set(ids)))

    # Field for field against AWS's published examples (ids, times and names aside).
    examples = {}
    for c in json.load(open(examples_file)):
        if "error" not in c:
            examples.setdefault(c["op"], c["expected"])
    # The calls of cloudtrail_workflow.py that give the parameters AWS's example gives.
    mirrored = {
        "Encrypt": lambda p: p.get("encryptionContext") == {"app": "billing"},
        "Decrypt": lambda p: p.get("encryptionContext") == {"app": "billing"},
        "GenerateDataKey": lambda p: p.get("encryptionContext") == {"app": "billing"},
        "CreateAlias": lambda p: p.get("aliasName") == "alias/kw-trail",
        "GetParametersForImport": lambda p: True,
    }
    for op, same_parameters in mirrored.items():
        mine = [r for r in api if r["eventName"] == op and "errorCode" not in r
                and r["userIdentity"]["type"] == "IAMUser" and same_parameters(r["requestParameters"] or {})]
        check(f"{op} recorded", len(mine) > 0)
        if not mine:
            continue
        r, ex = mine[0], dict(examples[op])
        ex.setdefault("managementEvent", True)
        ex.setdefault("eventCategory", "Management")
        check(f"{op}: fields as AWS's example", set(r) == set(ex), sorted(set(r) ^ set(ex)))
        check(f"{op}: userIdentity fields", set(r["userIdentity"]) == set(ex["userIdentity"]),
              sorted(set(r["userIdentity"]) ^ set(ex["userIdentity"])))
        if isinstance(ex["requestParameters"], dict):
            check(f"{op}: requestParameters fields", set(r["requestParameters"]) == set(ex["requestParameters"]),
                  sorted(set(r["requestParameters"]) ^ set(ex["requestParameters"])))
        for k in ["eventSource", "eventName", "readOnly", "eventType", "responseElements"]:
            check(f"{op}: {k}", r[k] == ex[k], (r[k], ex[k]))
        for res in r.get("resources", []):
            check(f"{op}: resource", res["type"] == "AWS::KMS::Key" and res["accountId"] == ACCOUNT, res)

    # No secret in any file, in any common encoding.
    everything = "\n".join(texts)
    secrets = [base64.b64decode(s) for s in json.load(open(secrets_file))]
    check("secrets to look for", len(secrets) >= 8, len(secrets))
    for i, s in enumerate(secrets):
        forms = [base64.b64encode(s).decode(), s.hex()]
        try:
            t = s.decode()
            if t.isprintable() and len(t) >= 8:
                forms.append(t)
        except UnicodeDecodeError:
            pass
        found = [f for f in forms if f and f in everything]
        check(f"secret {i} not in the trail", not found, found)

    # The denials, explained from their events with the state's policies.
    out = subprocess.run([binary, "explain", "--cloudtrail", trail, "--state", state, "--format", "json"],
                         capture_output=True, text=True, timeout=120)
    check("explain exits 1 (denials)", out.returncode == 1, out.stderr)
    reports = json.loads(out.stdout or "[]")
    by = {r["event"]["principal"]["arn"]: r for r in reports if r["event"]["event_name"] == "Decrypt"}
    for who in [f"arn:aws:iam::{ACCOUNT}:user/carol", f"arn:aws:sts::{ACCOUNT}:assumed-role/app/ct-session"]:
        r = by.get(who)
        check(f"{who}'s Decrypt explained", r is not None, list(by))
        if r:
            check(f"{who}: denied as AWS recorded", r["decision"] == "ImplicitDeny" and r["matches_recorded"] is True, r["decision"])
            check(f"{who}: the rule that denied it", r["explanation"]["rule"] == "kms_delegated_no_iam_allow",
                  r["explanation"]["rule"])
            check(f"{who}: why names the caller", who.split("/")[1] in r["explanation"]["summary"], r["explanation"]["summary"])
    print(f"{len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
