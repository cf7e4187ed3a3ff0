#!/usr/bin/env python3
"""Real AWS clients (boto3, the aws CLI, aws-encryption-sdk) against `keyward serve`.

Run by tests/sdk/run.sh, which starts the server and passes credentials in the environment:
KEYWARD_ENDPOINT, KW_ADMIN_ID/KW_ADMIN_SECRET, KW_ALICE_ID/.. (grantee, no IAM policy),
KW_BOB_ID/.. (IAM allows kms:*), KW_CAROL_ID/.. (no IAM policy). Prints one line per check
and ends with `N passed, M failed`; exits 1 on any failure.
"""

import base64
import json
import os
import subprocess
import sys
import tempfile

import boto3
import botocore.config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["KEYWARD_ENDPOINT"]
REGION = "us-east-1"
ACCOUNT = "111122223333"
PASSED = 0
FAILED = 0


def check(name, cond, detail=""):
    global PASSED, FAILED
    if cond:
        PASSED += 1
        print(f"ok   {name}")
    else:
        FAILED += 1
        print(f"FAIL {name} {detail}")


def client(who):
    return boto3.client(
        "kms",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=os.environ[f"KW_{who}_ID"],
        aws_secret_access_key=os.environ[f"KW_{who}_SECRET"],
        config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )


def error_of(fn, *args, **kwargs):
    """Calls fn; returns (code, message) of the ClientError, or (None, result)."""
    try:
        return None, fn(*args, **kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message", "")


def main():
    admin, alice, bob, carol = client("ADMIN"), client("ALICE"), client("BOB"), client("CAROL")
    alice_arn = f"arn:aws:iam::{ACCOUNT}:user/alice"
    bob_arn = f"arn:aws:iam::{ACCOUNT}:user/bob"
    carol_arn = f"arn:aws:iam::{ACCOUNT}:user/carol"

    # create-key, create-alias
    meta = admin.create_key(Description="sdk workflow")["KeyMetadata"]
    key_id, key_arn = meta["KeyId"], meta["Arn"]
    check("create_key", meta["KeyState"] == "Enabled" and key_arn.startswith("arn:aws:kms:us-east-1:"))
    admin.create_alias(AliasName="alias/kw-sdk", TargetKeyId=key_id)
    check("create_alias + describe by alias", admin.describe_key(KeyId="alias/kw-sdk")["KeyMetadata"]["KeyId"] == key_id)

    # encrypt with context, decrypt, wrong context
    ctx = {"purpose": "sdk-test", "tenant": "t1"}
    blob = admin.encrypt(KeyId="alias/kw-sdk", Plaintext=b"hello keyward", EncryptionContext=ctx)["CiphertextBlob"]
    out = admin.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)
    check("encrypt/decrypt round trip", out["Plaintext"] == b"hello keyward" and out["KeyId"] == key_arn, out.get("KeyId"))
    code, msg = error_of(admin.decrypt, CiphertextBlob=blob, EncryptionContext={"purpose": "other"})
    check("wrong context -> InvalidCiphertextException", code == "InvalidCiphertextException", (code, msg))
    code, msg = error_of(admin.decrypt, CiphertextBlob=b"\x01\x02garbage")
    check("garbage ciphertext -> InvalidCiphertextException", code == "InvalidCiphertextException", (code, msg))

    # generate-data-key
    dk = admin.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=ctx)
    back = admin.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext=ctx)["Plaintext"]
    check("generate_data_key", len(dk["Plaintext"]) == 32 and back == dk["Plaintext"])
    nop = admin.generate_data_key_without_plaintext(KeyId=key_id, NumberOfBytes=16)
    check("generate_data_key_without_plaintext", "Plaintext" not in nop and len(nop["CiphertextBlob"]) > 16)

    # pagination
    extra = [admin.create_key(Description=f"extra {i}")["KeyMetadata"]["KeyId"] for i in range(4)]
    for i, k in enumerate(extra):
        admin.create_alias(AliasName=f"alias/kw-page-{i}", TargetKeyId=k)
    pages = list(admin.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2}))
    listed = [k["KeyId"] for p in pages for k in p["Keys"]]
    check("list_keys paginator", len(pages) >= 3 and set(extra + [key_id]) <= set(listed), (len(pages), len(listed)))
    apages = list(admin.get_paginator("list_aliases").paginate(PaginationConfig={"PageSize": 2}))
    names = [a["AliasName"] for p in apages for a in p["Aliases"]]
    check("list_aliases paginator", len(apages) >= 3 and "alias/kw-sdk" in names and "alias/kw-page-3" in names, names)

    # grants: create, use with a grant token, list, retire, revoke
    code, msg = error_of(alice.decrypt, CiphertextBlob=blob, EncryptionContext=ctx)
    check("grantee before grant -> AccessDeniedException", code == "AccessDeniedException", (code, msg))
    g = admin.create_grant(KeyId=key_id, GranteePrincipal=alice_arn, Operations=["Decrypt", "Encrypt"],
                           Constraints={"EncryptionContextSubset": {"purpose": "sdk-test"}})
    out = alice.decrypt(CiphertextBlob=blob, EncryptionContext=ctx, GrantTokens=[g["GrantToken"]])
    check("decrypt as grantee with grant token", out["Plaintext"] == b"hello keyward")
    code, msg = error_of(alice.decrypt, CiphertextBlob=blob, EncryptionContext={"purpose": "sdk-test"} | {"x": "y"},
                         GrantTokens=[g["GrantToken"]])
    check("grant constraint still checks the context", code in ("InvalidCiphertextException",), (code, msg))
    code, msg = error_of(alice.describe_key, KeyId=key_id)
    check("grant does not allow other operations", code == "AccessDeniedException", (code, msg))
    grants = admin.list_grants(KeyId=key_id)["Grants"]
    check("list_grants", any(x["GrantId"] == g["GrantId"] for x in grants))
    g2 = admin.create_grant(KeyId=key_id, GranteePrincipal=alice_arn, Operations=["Decrypt"], RetiringPrincipal=alice_arn)
    alice.retire_grant(GrantToken=g2["GrantToken"])
    check("retire_grant by retiring principal", all(x["GrantId"] != g2["GrantId"] for x in admin.list_grants(KeyId=key_id)["Grants"]))
    admin.revoke_grant(KeyId=key_id, GrantId=g["GrantId"])
    code, msg = error_of(alice.decrypt, CiphertextBlob=blob, EncryptionContext=ctx)
    check("revoked grant -> AccessDeniedException", code == "AccessDeniedException", (code, msg))

    # key policy deny, with AWS's message
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "NoBobDecrypt", "Effect": "Deny", "Principal": {"AWS": bob_arn}, "Action": "kms:Decrypt", "Resource": "*"},
        ],
    }
    deny_key = admin.create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]
    dblob = bob.encrypt(KeyId=deny_key, Plaintext=b"x")["CiphertextBlob"]
    bob.meta.events.register("before-sign.kms.Decrypt", lambda request, **_: request.headers.__setitem__("x-keyward-explain", "1"))
    code, msg = error_of(bob.decrypt, CiphertextBlob=dblob)
    want = f"User: {bob_arn} is not authorized to perform: kms:Decrypt on resource: {deny_key} with an explicit deny in a resource-based policy"
    check("key policy deny -> AccessDeniedException", code == "AccessDeniedException", (code, msg))
    check("explicit deny message is AWS's", msg == want, repr(msg))
    code, msg = error_of(carol.describe_key, KeyId=key_id)
    want = f"User: {carol_arn} is not authorized to perform: kms:DescribeKey on resource: {key_arn} because no identity-based policy allows the kms:DescribeKey action"
    check("implicit deny message is AWS's", code == "AccessDeniedException" and msg == want, (code, msg))

    # disable / enable, rotation
    admin.disable_key(KeyId=key_id)
    code, msg = error_of(admin.decrypt, CiphertextBlob=blob, EncryptionContext=ctx)
    check("disabled key -> DisabledException", code == "DisabledException", (code, msg))
    admin.enable_key(KeyId=key_id)
    check("enable_key", admin.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"] == b"hello keyward")
    admin.enable_key_rotation(KeyId=key_id)
    check("rotation enabled", admin.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True)
    try:
        admin.rotate_key_on_demand(KeyId=key_id)
        check("on-demand rotation keeps old ciphertexts", admin.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"] == b"hello keyward")
    except ClientError as e:
        check("rotate_key_on_demand", False, e.response["Error"])

    # sign / verify
    sk = admin.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    sig = admin.sign(KeyId=sk, Message=b"message", MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    ok = admin.verify(KeyId=sk, Message=b"message", MessageType="RAW", Signature=sig, SigningAlgorithm="ECDSA_SHA_256")
    check("sign/verify", ok["SignatureValid"] is True)
    code, msg = error_of(admin.verify, KeyId=sk, Message=b"messagE", MessageType="RAW", Signature=sig, SigningAlgorithm="ECDSA_SHA_256")
    check("verify tampered -> KMSInvalidSignatureException", code == "KMSInvalidSignatureException", (code, msg))
    pub = admin.get_public_key(KeyId=sk)
    check("get_public_key", len(pub["PublicKey"]) > 50)

    # schedule deletion
    d = admin.schedule_key_deletion(KeyId=extra[0], PendingWindowInDays=7)
    check("schedule_key_deletion", d["KeyState"] == "PendingDeletion")
    code, msg = error_of(admin.encrypt, KeyId=extra[0], Plaintext=b"x")
    check("pending deletion -> KMSInvalidStateException", code == "KMSInvalidStateException", (code, msg))
    admin.cancel_key_deletion(KeyId=extra[0])
    check("cancel_key_deletion", admin.describe_key(KeyId=extra[0])["KeyMetadata"]["KeyState"] == "Disabled")

    # protocol errors through the SDK
    code, msg = error_of(admin.describe_key, KeyId="alias/does-not-exist")
    check("unknown alias -> NotFoundException", code == "NotFoundException", (code, msg))
    bad = boto3.client("kms", endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id=os.environ["KW_ADMIN_ID"],
                       aws_secret_access_key="wrong" + os.environ["KW_ADMIN_SECRET"],
                       config=botocore.config.Config(retries={"max_attempts": 1}))
    code, msg = error_of(bad.list_keys)
    check("wrong secret -> InvalidSignatureException", code == "InvalidSignatureException", (code, msg))
    unknown = boto3.client("kms", endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id="AKIANOTAKEY",
                           aws_secret_access_key="x", config=botocore.config.Config(retries={"max_attempts": 1}))
    code, msg = error_of(unknown.list_keys)
    check("unknown access key -> UnrecognizedClientException", code == "UnrecognizedClientException", (code, msg))

    aws_cli(key_id, ctx)
    encryption_sdk(key_arn)
    print(f"{PASSED} passed, {FAILED} failed")
    return 0 if FAILED == 0 else 1


def aws_cli(key_id, ctx):
    """The aws CLI, with --endpoint-url, encrypt then decrypt."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=os.environ["KW_ADMIN_ID"], AWS_SECRET_ACCESS_KEY=os.environ["KW_ADMIN_SECRET"],
               AWS_DEFAULT_REGION=REGION, AWS_PAGER="", AWS_MAX_ATTEMPTS="1")
    aws = os.environ.get("KW_AWS_CLI", "aws")
    ctx_arg = ",".join(f"{k}={v}" for k, v in ctx.items())
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "plain.txt")
        with open(src, "wb") as f:
            f.write(b"from the aws cli")
        r = subprocess.run([aws, "kms", "encrypt", "--endpoint-url", ENDPOINT, "--key-id", "alias/kw-sdk",
                            "--plaintext", f"fileb://{src}", "--encryption-context", ctx_arg,
                            "--output", "text", "--query", "CiphertextBlob"], env=env, capture_output=True, timeout=60)
        check("aws kms encrypt", r.returncode == 0, r.stderr.decode()[-500:])
        ct = os.path.join(d, "ct.bin")
        with open(ct, "wb") as f:
            f.write(base64.b64decode(r.stdout.strip() or b""))
        r = subprocess.run([aws, "kms", "decrypt", "--endpoint-url", ENDPOINT, "--ciphertext-blob", f"fileb://{ct}",
                            "--encryption-context", ctx_arg, "--output", "text", "--query", "Plaintext"],
                           env=env, capture_output=True, timeout=60)
        ok = r.returncode == 0 and base64.b64decode(r.stdout.strip() or b"") == b"from the aws cli"
        check("aws kms decrypt", ok, r.stderr.decode()[-500:])
        r = subprocess.run([aws, "kms", "decrypt", "--endpoint-url", ENDPOINT, "--ciphertext-blob", f"fileb://{ct}",
                            "--output", "text"], env=env, capture_output=True, timeout=60)
        check("aws kms decrypt without context fails", r.returncode != 0 and b"InvalidCiphertextException" in r.stderr,
              r.stderr.decode()[-300:])


def encryption_sdk(key_arn):
    """aws-encryption-sdk: a 1 MiB message through a master key provider."""
    try:
        import aws_encryption_sdk
        import botocore.session
        from aws_encryption_sdk.identifiers import CommitmentPolicy
    except ImportError as e:
        check("aws-encryption-sdk importable", False, e)
        return
    os.environ["AWS_ENDPOINT_URL_KMS"] = ENDPOINT
    os.environ["AWS_ACCESS_KEY_ID"] = os.environ["KW_ADMIN_ID"]
    os.environ["AWS_SECRET_ACCESS_KEY"] = os.environ["KW_ADMIN_SECRET"]
    os.environ["AWS_DEFAULT_REGION"] = REGION
    session = botocore.session.Session()
    esdk = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[key_arn], botocore_session=session)
    message = os.urandom(1 << 20)
    ct, header = esdk.encrypt(source=message, key_provider=provider, encryption_context={"app": "keyward"})
    check("aws-encryption-sdk encrypt 1 MiB", len(ct) > len(message) and header.encryption_context.get("app") == "keyward")
    pt, _ = esdk.decrypt(source=ct, key_provider=provider)
    check("aws-encryption-sdk decrypt 1 MiB", pt == message)
    encryption_sdk_keyring(esdk, key_arn, message)


def encryption_sdk_keyring(esdk, key_arn, message):
    """aws-encryption-sdk with the Material Providers Library's AWS KMS keyring."""
    try:
        from aws_cryptographic_material_providers.mpl import AwsCryptographicMaterialProviders
        from aws_cryptographic_material_providers.mpl.config import MaterialProvidersConfig
        from aws_cryptographic_material_providers.mpl.models import CreateAwsKmsKeyringInput
    except ImportError as e:
        check("aws-cryptographic-material-providers importable", False, e)
        return
    kms = client("ADMIN")
    mpl = AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())
    keyring = mpl.create_aws_kms_keyring(input=CreateAwsKmsKeyringInput(kms_key_id=key_arn, kms_client=kms))
    ct, header = esdk.encrypt(source=message, keyring=keyring, encryption_context={"via": "keyring"})
    check("aws-encryption-sdk keyring encrypt 1 MiB", len(ct) > len(message) and header.encryption_context.get("via") == "keyring")
    pt, _ = esdk.decrypt(source=ct, keyring=keyring)
    check("aws-encryption-sdk keyring decrypt 1 MiB", pt == message)


if __name__ == "__main__":
    sys.exit(main())
