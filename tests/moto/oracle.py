#!/usr/bin/env python3
"""moto's server as an oracle for KMS API shapes and non-authorization behaviour.

Run by tests/moto/run.sh, which starts `keyward serve` and `moto_server` on 127.0.0.1 and passes:
KEYWARD_ENDPOINT, KW_ID/KW_SECRET (an access key of user/admin in keyward's state) and
MOTO_ENDPOINT. The same boto3 workflow runs against both endpoints (each with fresh state); each
check reduces the responses to observations that do not depend on ids, ARN values or times
(enum values, field sets, value types, "the KeyId is the key's ARN", ...), and the two sets
of observations are compared field by field. Prints one table row per check; exits 1 on any
difference not in ALLOWED below.
"""

import datetime
import json
import os
import re
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

REGION = "us-east-1"

# Known moto deviations from AWS, as (check, observation) -> reason. Only these differences
# are tolerated; AWS's documented behaviour is what keyward implements.
_META_CHECKS = ("create_key symmetric", "create_key ECC_NIST_P256", "describe_key by alias")
_META_DEVIATIONS = {
    "metadata.KeyUsage": "moto leaves KeyUsage out when CreateKey had none; AWS returns ENCRYPT_DECRYPT (the default)",
    "metadata.keys.extra_in_keyward:KeyUsage": "same: moto omits the defaulted KeyUsage",
    "metadata.MultiRegion": "moto leaves MultiRegion out unless it was requested; AWS always returns it (false)",
    "metadata.keys.extra_in_keyward:MultiRegion": "same: moto omits MultiRegion=false",
    "metadata.SigningAlgorithms": "moto returns SigningAlgorithms: [] for symmetric keys; AWS omits it for non-signing keys",
    "metadata.keys.extra_in_moto:SigningAlgorithms": "same: moto's empty SigningAlgorithms on symmetric keys",
    "metadata.keys.extra_in_keyward:CurrentKeyMaterialId": "AWS added CurrentKeyMaterialId (2025, on-demand rotation); moto 5.2 predates it",
}
ALLOWED = {(c, o): r for c in _META_CHECKS for o, r in _META_DEVIATIONS.items()}
ALLOWED.update({
    ("list_keys Limit=2 pagination", "pages (count, Truncated, has NextMarker)"):
        "moto's ListKeys ignores Limit (one page of all keys); the key count and set are still compared",
    ("get_key_policy default", "PolicyName"):
        "AWS's GetKeyPolicy response carries PolicyName (added 2024); moto returns only Policy",
    ("get_key_policy default", "response keys.extra_in_keyward:PolicyName"): "same: moto omits PolicyName",
    ("encrypt/decrypt round trip", "encrypt EncryptionAlgorithm"):
        "AWS's Encrypt response has EncryptionAlgorithm; moto omits it",
    ("encrypt/decrypt round trip", "encrypt keys.extra_in_keyward:EncryptionAlgorithm"): "same",
    ("encrypt/decrypt round trip", "decrypt EncryptionAlgorithm"):
        "AWS's Decrypt response has EncryptionAlgorithm; moto omits it",
    ("schedule_key_deletion", "KeyId is ARN"):
        "AWS returns the key ARN; moto echoes the KeyId parameter as given",
    ("schedule_key_deletion", "KeyState"): "AWS returns KeyState PendingDeletion; moto returns only KeyId and DeletionDate",
    ("schedule_key_deletion", "PendingWindowInDays"): "AWS returns PendingWindowInDays; moto omits it",
    ("schedule_key_deletion", "response keys.extra_in_keyward:KeyState"): "same: moto omits KeyState",
    ("schedule_key_deletion", "response keys.extra_in_keyward:PendingWindowInDays"): "same: moto omits PendingWindowInDays",
    ("cancel_key_deletion", "KeyId is ARN"): "AWS returns the key ARN; moto echoes the KeyId parameter as given",
})


def client(endpoint, key_id, secret):
    return boto3.client(
        "kms",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )


def typename(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, str):
        return "str"
    if isinstance(v, (bytes, bytearray)):
        return "bytes"
    if isinstance(v, datetime.datetime):
        return "datetime"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        return "dict"
    return type(v).__name__


def strip(resp):
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


def types_of(d):
    return {k: typename(v) for k, v in d.items()}


def error_code(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
        return None
    except ClientError as e:
        return e.response["Error"]["Code"]


ARN_KEY = re.compile(r"^arn:aws:kms:us-east-1:\d{12}:key/[0-9a-f-]{36}$")
ARN_ALIAS = re.compile(r"^arn:aws:kms:us-east-1:\d{12}:alias/[A-Za-z0-9/_-]+$")

# Metadata fields whose values are compared as-is (the rest: type and presence only).
META_VALUES = ["KeyState", "KeyUsage", "KeySpec", "Origin", "KeyManager", "Enabled", "Description",
               "MultiRegion", "EncryptionAlgorithms", "SigningAlgorithms"]


def meta_obs(meta, key_id=None):
    obs = {f"metadata.{f}": meta.get(f, "<absent>") for f in META_VALUES}
    obs["metadata.types"] = types_of({k: v for k, v in meta.items() if k in (
        "KeyId", "Arn", "AWSAccountId", "CreationDate", "Enabled", "Description", "KeyState")})
    obs["metadata.Arn shape"] = bool(ARN_KEY.match(meta.get("Arn", "")))
    obs["metadata.Arn ends with KeyId"] = meta.get("Arn", "").endswith("/" + meta.get("KeyId", "?"))
    obs["metadata.keys"] = sorted(meta)
    if key_id is not None:
        obs["metadata.KeyId is the created key"] = meta.get("KeyId") == key_id
    return obs


def workflow(kms, tag):
    """Runs the workflow; returns [(check name, observations dict)]."""
    out = []
    alias = "alias/kw-oracle"
    sym = kms.create_key(Description="oracle symmetric")["KeyMetadata"]
    out.append(("create_key symmetric", meta_obs(sym)))
    ecc = kms.create_key(Description="oracle ecc", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    out.append(("create_key ECC_NIST_P256", meta_obs(ecc)))
    key_id, key_arn = sym["KeyId"], sym["Arn"]

    r = kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    out.append(("create_alias", {"response keys": sorted(strip(r))}))
    out.append(("describe_key by alias", meta_obs(kms.describe_key(KeyId=alias)["KeyMetadata"], key_id)))
    d = kms.describe_key(KeyId=key_arn)["KeyMetadata"]
    out.append(("describe_key by ARN", {"KeyId is the created key": d["KeyId"] == key_id,
                                        "Arn equal": d["Arn"] == key_arn}))

    def our_alias():
        aliases, marker = [], None
        while True:
            kw = {"Marker": marker} if marker else {}
            page = kms.list_aliases(**kw)
            aliases += page["Aliases"]
            if not page.get("Truncated"):
                break
            marker = page["NextMarker"]
        return [a for a in aliases if a["AliasName"] == alias]

    mine = our_alias()
    a = mine[0] if mine else {}
    out.append(("list_aliases", {
        "count of our alias": len(mine),
        "entry keys": sorted(k for k in a if k not in ("CreationDate", "LastUpdatedDate")),
        "AliasName": a.get("AliasName"),
        "AliasArn shape": bool(ARN_ALIAS.match(a.get("AliasArn", ""))),
        "AliasArn ends with name": a.get("AliasArn", "").endswith(":" + alias),
        "AliasArn account = key account": a.get("AliasArn", "").split(":")[4:5] == key_arn.split(":")[4:5],
        "TargetKeyId is the key id": a.get("TargetKeyId") == key_id,
    }))
    by_key = kms.list_aliases(KeyId=key_id)["Aliases"]
    out.append(("list_aliases KeyId filter", {"names": sorted(x["AliasName"] for x in by_key)}))

    other = kms.create_key(Description="oracle other")["KeyMetadata"]["KeyId"]
    kms.update_alias(AliasName=alias, TargetKeyId=other)
    mine = our_alias()
    out.append(("update_alias", {
        "TargetKeyId is the new key": bool(mine) and mine[0].get("TargetKeyId") == other,
        "describe by alias resolves to new key": kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == other,
    }))

    kms.delete_alias(AliasName=alias)
    out.append(("delete_alias", {
        "alias gone from list_aliases": our_alias() == [],
        "describe_key alias error": error_code(kms.describe_key, KeyId=alias),
        "delete again error": error_code(kms.delete_alias, AliasName=alias),
    }))

    # list_keys pagination: 3 keys so far, 3 more -> 6; Limit=2 -> 3 pages.
    created = {sym["KeyId"], ecc["KeyId"], other}
    for i in range(3):
        created.add(kms.create_key(Description=f"oracle page {i}")["KeyMetadata"]["KeyId"])
    pages, ids, marker, entry_keys, arn_ok = [], [], None, set(), True
    for _ in range(20):
        kw = {"Limit": 2}
        if marker:
            kw["Marker"] = marker
        page = kms.list_keys(**kw)
        pages.append((len(page["Keys"]), bool(page.get("Truncated")), "NextMarker" in page))
        for k in page["Keys"]:
            ids.append(k["KeyId"])
            entry_keys |= set(k)
            arn_ok &= k.get("KeyArn", "").endswith("/" + k["KeyId"])
        if not page.get("Truncated"):
            break
        marker = page["NextMarker"]
    out.append(("list_keys Limit=2 pagination", {
        "pages (count, Truncated, has NextMarker)": pages,
        "number of keys": len(ids),
        "no duplicates": len(ids) == len(set(ids)),
        "set == created keys": set(ids) == created,
        "entry keys": sorted(entry_keys),
        "KeyArn ends with KeyId": arn_ok,
    }))

    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "team", "TagValue": "kw"},
                                         {"TagKey": "env", "TagValue": "test"}])
    kms.untag_resource(KeyId=key_id, TagKeys=["env"])
    t = kms.list_resource_tags(KeyId=key_id)
    out.append(("tag/untag/list_resource_tags", {
        "Tags": sorted((x["TagKey"], x["TagValue"]) for x in t["Tags"]),
        "Truncated": t.get("Truncated"),
    }))

    p = kms.get_key_policy(KeyId=key_id, PolicyName="default")
    doc = json.loads(p["Policy"])
    out.append(("get_key_policy default", {
        "response keys": sorted(strip(p)),
        "PolicyName": p.get("PolicyName", "<absent>"),
        "Policy is JSON with Version/Statement": isinstance(doc, dict) and "Version" in doc and "Statement" in doc,
        "Version": doc.get("Version"),
    }))
    lp = kms.list_key_policies(KeyId=key_id)
    out.append(("list_key_policies", {"PolicyNames": lp["PolicyNames"], "Truncated": lp.get("Truncated")}))

    kms.enable_key_rotation(KeyId=key_id)
    on = kms.get_key_rotation_status(KeyId=key_id)
    kms.disable_key_rotation(KeyId=key_id)
    off = kms.get_key_rotation_status(KeyId=key_id)
    out.append(("key rotation enable/disable/status", {
        "enabled": on["KeyRotationEnabled"], "disabled": off["KeyRotationEnabled"],
        "status types": types_of({k: v for k, v in strip(on).items() if k in ("KeyRotationEnabled",)}),
    }))

    e = kms.encrypt(KeyId=key_id, Plaintext=b"moto oracle", EncryptionContext={"a": "b"})
    dd = kms.decrypt(CiphertextBlob=e["CiphertextBlob"], EncryptionContext={"a": "b"})
    out.append(("encrypt/decrypt round trip", {
        "encrypt keys": sorted(strip(e)),
        "encrypt KeyId is ARN": e["KeyId"] == key_arn,
        "encrypt EncryptionAlgorithm": e.get("EncryptionAlgorithm"),
        "CiphertextBlob type": typename(e["CiphertextBlob"]),
        "plaintext equal": dd["Plaintext"] == b"moto oracle",
        "decrypt KeyId is ARN": dd["KeyId"] == key_arn,
        "decrypt EncryptionAlgorithm": dd.get("EncryptionAlgorithm"),
    }))

    kms.disable_key(KeyId=other)
    out.append(("disable_key", {"KeyState": kms.describe_key(KeyId=other)["KeyMetadata"]["KeyState"],
                                "Enabled": kms.describe_key(KeyId=other)["KeyMetadata"]["Enabled"]}))

    s = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    out.append(("schedule_key_deletion", {
        "response keys": sorted(strip(s)),
        "KeyId is ARN": s.get("KeyId") == key_arn,
        "KeyState": s.get("KeyState"),
        "PendingWindowInDays": s.get("PendingWindowInDays"),
        "DeletionDate type": typename(s.get("DeletionDate")),
        "describe KeyState": kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"],
    }))
    c = kms.cancel_key_deletion(KeyId=key_id)
    out.append(("cancel_key_deletion", {
        "KeyId is ARN": c.get("KeyId") == key_arn,
        "describe KeyState": kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"],
    }))
    return out


def diff(check, a, b):
    """Differences between keyward's (a) and moto's (b) observations, as (observation, detail)."""
    res = []
    for k in sorted(set(a) | set(b)):
        va, vb = a.get(k, "<missing>"), b.get(k, "<missing>")
        if va == vb:
            continue
        if k.endswith("keys") and isinstance(va, list) and isinstance(vb, list):
            for x in sorted(set(vb) - set(va)):
                res.append((f"{k}.extra_in_moto:{x}", "present in moto only"))
            for x in sorted(set(va) - set(vb)):
                res.append((f"{k}.extra_in_keyward:{x}", "present in keyward only"))
            continue
        res.append((k, f"keyward={va!r} moto={vb!r}"))
    return res


def main():
    kw = client(os.environ["KEYWARD_ENDPOINT"], os.environ["KW_ID"], os.environ["KW_SECRET"])
    moto = client(os.environ["MOTO_ENDPOINT"], "test", "test")
    ra, rb = workflow(kw, "keyward"), workflow(moto, "moto")
    assert [n for n, _ in ra] == [n for n, _ in rb]
    bad = allowed = 0
    width = max(len(n) for n, _ in ra)
    print(f"{'check':<{width}}  {'obs':>3}  result")
    for (name, a), (_, b) in zip(ra, rb):
        ds = diff(name, a, b)
        status = "ok"
        notes = []
        for obs, detail in ds:
            reason = ALLOWED.get((name, obs))
            if reason:
                allowed += 1
                notes.append(f"    allowed  {obs}: {detail} -- {reason}")
                status = "ok (allowed deviation)" if status == "ok" else status
            else:
                bad += 1
                notes.append(f"    MISMATCH {obs}: {detail}")
                status = "MISMATCH"
        print(f"{name:<{width}}  {len(set(a) | set(b)):>3}  {status}")
        for n in notes:
            print(n)
    total = sum(len(set(a) | set(b)) for (_, a), (_, b) in zip(ra, rb))
    print(f"{len(ra)} checks, {total} observations: {bad} mismatches, {allowed} allowed moto deviations")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
