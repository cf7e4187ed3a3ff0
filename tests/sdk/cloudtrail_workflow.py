#!/usr/bin/env python3
"""Calls for the CloudTrail check (issue 19), made with boto3 against `keyward serve --cloudtrail`.

Run by tests/sdk/run.sh while the server runs: allowed and denied calls as an IAM user and as
an assumed-role session, data keys, random bytes and imported key material. Writes every
secret it saw (plaintexts, data keys, key material, ciphertexts) to KW_SECRETS_FILE, for
cloudtrail_check.py to look for in the trail files. Exits 1 on an unexpected answer.
"""

import base64
import json
import os
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["KEYWARD_ENDPOINT"]
FAILED = []


def client(who):
    return boto3.client(
        "kms",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=os.environ[f"KW_{who}_ID"],
        aws_secret_access_key=os.environ[f"KW_{who}_SECRET"],
        config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )


def expect(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f" {detail}"))
    if not cond:
        FAILED.append(name)


def denied(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"] == "AccessDeniedException"
    return False


def main():
    admin, bob, carol, app = client("ADMIN"), client("BOB"), client("CAROL"), client("APP")
    secrets = []
    key = admin.create_key(Description="cloudtrail")["KeyMetadata"]["KeyId"]
    admin.create_alias(AliasName="alias/kw-trail", TargetKeyId=key)
    ctx = {"app": "billing"}
    plaintext = b"cloudtrail-plaintext-never-logged"
    secrets.append(plaintext)
    # A user allowed by IAM, and one nothing allows.
    blob = bob.encrypt(KeyId="alias/kw-trail", Plaintext=plaintext, EncryptionContext=ctx)["CiphertextBlob"]
    secrets.append(blob)
    expect("bob decrypts", bob.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"] == plaintext)
    dk = bob.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext=ctx)
    secrets += [dk["Plaintext"], dk["CiphertextBlob"]]
    secrets.append(bob.generate_random(NumberOfBytes=24)["Plaintext"])
    expect("carol's Decrypt is denied", denied(carol.decrypt, CiphertextBlob=blob, EncryptionContext=ctx))
    # An assumed-role session whose role may encrypt but not decrypt.
    blob2 = app.encrypt(KeyId=key, Plaintext=plaintext, EncryptionContext=ctx)["CiphertextBlob"]
    secrets.append(blob2)
    expect("the role session's Decrypt is denied", denied(app.decrypt, CiphertextBlob=blob2, EncryptionContext=ctx))
    # Imported key material.
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
    except ImportError as e:
        expect("cryptography importable", False, e)
    else:
        ext = admin.create_key(Origin="EXTERNAL", Description="imported")["KeyMetadata"]["KeyId"]
        params = admin.get_parameters_for_import(
            KeyId=ext, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        )
        public = serialization.load_der_public_key(params["PublicKey"])
        material = os.urandom(32)
        wrapped = public.encrypt(
            material, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
        )
        admin.import_key_material(
            KeyId=ext,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrapped,
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )
        secrets += [material, wrapped, params["ImportToken"]]
        secrets.append(bob.encrypt(KeyId=ext, Plaintext=plaintext)["CiphertextBlob"])
        expect("imported material encrypts", True)
    with open(os.environ["KW_SECRETS_FILE"], "w") as f:
        json.dump([base64.b64encode(s).decode() for s in secrets], f)
    print(f"{len(secrets)} secrets written; {len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
