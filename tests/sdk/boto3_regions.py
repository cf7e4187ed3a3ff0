#!/usr/bin/env python3
"""Regions and multi-Region keys through one `keyward serve`, with boto3 clients of two Regions.

Run by tests/sdk/run.sh after boto3_workflow.py, with the same environment (KEYWARD_ENDPOINT,
KW_ADMIN_ID/KW_ADMIN_SECRET). A ciphertext made in us-east-1 decrypts with the replica in
eu-west-1; each Region has its own keys and aliases. Prints one line per check and ends with
`N passed, M failed`; exits 1 on any failure.
"""

import os
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["KEYWARD_ENDPOINT"]
ACCOUNT = "111122223333"
RESULTS = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    RESULTS["passed" if cond else "failed"] += 1
    print(f"{'ok  ' if cond else 'FAIL'} {name}{'' if cond else f' {detail}'}")


def client(region):
    return boto3.client(
        "kms",
        endpoint_url=ENDPOINT,
        region_name=region,
        aws_access_key_id=os.environ["KW_ADMIN_ID"],
        aws_secret_access_key=os.environ["KW_ADMIN_SECRET"],
        config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )


def error_of(fn, **kwargs):
    try:
        return None, fn(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message", "")


def main():
    us, eu = client("us-east-1"), client("eu-west-1")

    # Multi-Region: a primary in us-east-1, its replica in eu-west-1.
    meta = us.create_key(MultiRegion=True, Description="kw mrk")["KeyMetadata"]
    key_id = meta["KeyId"]
    check("create_key MultiRegion -> mrk- id", key_id.startswith("mrk-") and meta["MultiRegion"] is True, key_id)
    rep = us.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1")["ReplicaKeyMetadata"]
    eu_arn = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{key_id}"
    check("replicate_key -> replica ARN in eu-west-1", rep["Arn"] == eu_arn, rep.get("Arn"))
    cfg = eu.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]
    check(
        "describe replica: REPLICA, primary in us-east-1",
        cfg["MultiRegionKeyType"] == "REPLICA"
        and cfg["PrimaryKey"] == {"Arn": meta["Arn"], "Region": "us-east-1"}
        and cfg["ReplicaKeys"] == [{"Arn": eu_arn, "Region": "eu-west-1"}],
        cfg,
    )
    ctx = {"app": "regions"}
    blob = us.encrypt(KeyId=key_id, Plaintext=b"made in us-east-1", EncryptionContext=ctx)["CiphertextBlob"]
    out = eu.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)
    check(
        "encrypt in us-east-1, decrypt with the replica in eu-west-1",
        out["Plaintext"] == b"made in us-east-1" and out["KeyId"] == eu_arn,
        out.get("KeyId"),
    )
    dk = eu.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    back = us.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"]
    check("data key from the replica decrypts with the primary", back == dk["Plaintext"])
    code, msg = error_of(us.replicate_key, KeyId=key_id, ReplicaRegion="eu-west-1")
    check("replicate to a Region with a replica -> AlreadyExistsException", code == "AlreadyExistsException", (code, msg))
    code, msg = error_of(eu.replicate_key, KeyId=key_id, ReplicaRegion="ap-south-1")
    check("replicate a replica -> UnsupportedOperationException", code == "UnsupportedOperationException", (code, msg))
    eu.disable_key(KeyId=key_id)
    code, msg = error_of(eu.decrypt, CiphertextBlob=blob, EncryptionContext=ctx)
    still = us.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"]
    check("replica disabled alone", code == "DisabledException" and still == b"made in us-east-1", (code, msg))
    eu.enable_key(KeyId=key_id)

    # Per-Region isolation: a single-Region key, an alias name in both Regions.
    single = us.create_key()["KeyMetadata"]["KeyId"]
    code, msg = error_of(eu.describe_key, KeyId=single)
    check("us-east-1 key id not found in eu-west-1", code == "NotFoundException", (code, msg))
    code, msg = error_of(eu.describe_key, KeyId=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{single}")
    check("us-east-1 key ARN from eu-west-1 -> Invalid arn", (code, msg) == ("NotFoundException", "Invalid arn eu-west-1"), (code, msg))
    eu_ids = [k["KeyId"] for k in eu.list_keys()["Keys"]]
    check("list_keys in eu-west-1 lists its own keys", single not in eu_ids and key_id in eu_ids, eu_ids)
    us.create_alias(AliasName="alias/kw-regions", TargetKeyId=single)
    eu.create_alias(AliasName="alias/kw-regions", TargetKeyId=key_id)
    check(
        "one alias name per Region",
        us.describe_key(KeyId="alias/kw-regions")["KeyMetadata"]["KeyId"] == single
        and eu.describe_key(KeyId="alias/kw-regions")["KeyMetadata"]["Arn"] == eu_arn,
    )
    us.update_primary_region(KeyId=key_id, PrimaryRegion="eu-west-1")
    kind = eu.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"]
    check("update_primary_region makes eu-west-1 primary", kind == "PRIMARY", kind)

    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
