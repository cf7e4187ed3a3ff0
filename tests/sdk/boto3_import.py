#!/usr/bin/env python3
"""Imported key material through `keyward serve`, wrapped by the `cryptography` package.

Run by tests/sdk/run.sh with the environment of boto3_workflow.py (KEYWARD_ENDPOINT,
KW_ADMIN_ID/KW_ADMIN_SECRET). The material is wrapped client-side the way AWS documents for each
wrapping algorithm (RSA-OAEP SHA-1/SHA-256, and RSA_AES_KEY_WRAP_SHA_1/256: RSA-OAEP of an
ephemeral AES-256 key followed by the material under AES Key Wrap with Padding, RFC 5649), then
a further material is imported with ImportType NEW_KEY_MATERIAL, rotated to, listed, deleted and
imported again; RSA, ECC and HMAC material made by `cryptography` is imported and its
signatures and MACs checked with `cryptography`. Prints one line per check and ends with `N passed, M failed`; exits 1 on any
failure.
"""

import os
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import hmac as chmac
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

ENDPOINT = os.environ["KEYWARD_ENDPOINT"]
RESULTS = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    RESULTS["passed" if cond else "failed"] += 1
    print(f"{'ok  ' if cond else 'FAIL'} {name}{'' if cond else f' {detail}'}")


def error_code(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


kms = boto3.client(
    "kms",
    endpoint_url=ENDPOINT,
    region_name="us-east-1",
    aws_access_key_id=os.environ["KW_ADMIN_ID"],
    aws_secret_access_key=os.environ["KW_ADMIN_SECRET"],
    config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=60),
)


def wrap(public_der, algorithm, material):
    public = serialization.load_der_public_key(public_der)
    sha = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=sha), algorithm=sha, label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return public.encrypt(material, oaep)
    aes = os.urandom(32)
    return public.encrypt(aes, oaep) + aes_key_wrap_with_padding(aes, material)


def import_material(key_id, algorithm, material, **extra):
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec="RSA_3072")
    return kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params["PublicKey"], algorithm, material),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        **extra,
    )


def current(key_id):
    return kms.describe_key(KeyId=key_id)["KeyMetadata"].get("CurrentKeyMaterialId")


for alg in ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"]:
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    out = import_material(key, alg, os.urandom(32))
    ct = kms.encrypt(KeyId=key, Plaintext=b"imported")["CiphertextBlob"]
    dec = kms.decrypt(CiphertextBlob=ct)
    check(f"{alg}: imported material encrypts and decrypts", dec["Plaintext"] == b"imported")
    check(f"{alg}: KeyMaterialId in ImportKeyMaterial, DescribeKey and Decrypt agree",
          out["KeyMaterialId"] == current(key) == dec["KeyMaterialId"], str(out))

key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
first, second = os.urandom(32), os.urandom(32)
m1 = import_material(key, "RSA_AES_KEY_WRAP_SHA_256", first, KeyMaterialDescription="first")["KeyMaterialId"]
old = kms.encrypt(KeyId=key, Plaintext=b"under the first")["CiphertextBlob"]
check("RotateKeyOnDemand without pending material is refused",
      error_code(lambda: kms.rotate_key_on_demand(KeyId=key)) == "KMSInvalidStateException")
check("other material as EXISTING_KEY_MATERIAL is refused",
      error_code(lambda: import_material(key, "RSAES_OAEP_SHA_256", second)) == "IncorrectKeyMaterialException")
m2 = import_material(key, "RSAES_OAEP_SHA_256", second, ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]
check("NEW_KEY_MATERIAL is pending, not current", current(key) == m1 and m2 != m1)
entries = kms.list_key_rotations(KeyId=key, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
check("ALL_KEY_MATERIAL lists the current and the pending material",
      [(e["KeyMaterialId"], e["KeyMaterialState"], e["ImportState"]) for e in entries]
      == [(m1, "CURRENT", "IMPORTED"), (m2, "PENDING_ROTATION", "IMPORTED")], str(entries))
check("the first material keeps its description", entries[0].get("KeyMaterialDescription") == "first", str(entries))
kms.rotate_key_on_demand(KeyId=key)
check("RotateKeyOnDemand makes the new material current", current(key) == m2)
dec = kms.decrypt(CiphertextBlob=old)
check("a ciphertext under the older material still decrypts",
      dec["Plaintext"] == b"under the first" and dec["KeyMaterialId"] == m1)
rot = kms.list_key_rotations(KeyId=key)["Rotations"]
check("ROTATIONS_ONLY lists the on-demand rotation",
      [(e["KeyMaterialId"], e["RotationType"], e["KeyMaterialState"]) for e in rot] == [(m2, "ON_DEMAND", "CURRENT")],
      str(rot))
deleted = kms.delete_imported_key_material(KeyId=key, KeyMaterialId=m1)
check("DeleteImportedKeyMaterial names the deleted material", deleted.get("KeyMaterialId") == m1, str(deleted))
check("the key waits for the deleted material",
      kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingImport")
again = import_material(key, "RSA_AES_KEY_WRAP_SHA_1", first, KeyMaterialId=m1)
check("re-importing the same material by KeyMaterialId restores the key",
      again["KeyMaterialId"] == m1 and kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"under the first")

# Asymmetric and HMAC material made by `cryptography`, checked against it.
for spec, private, alg in [
    ("RSA_2048", rsa.generate_private_key(public_exponent=65537, key_size=2048), "RSASSA_PKCS1_V1_5_SHA_256"),
    ("ECC_NIST_P256", ec.generate_private_key(ec.SECP256R1()), "ECDSA_SHA_256"),
]:
    key = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    import_material(key, "RSA_AES_KEY_WRAP_SHA_256", der)
    public = kms.get_public_key(KeyId=key)["PublicKey"]
    check(f"{spec}: GetPublicKey is the imported key's public key",
          public == private.public_key().public_bytes(serialization.Encoding.DER,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo))
    sig = kms.sign(KeyId=key, Message=b"imported", SigningAlgorithm=alg)["Signature"]
    try:
        if spec.startswith("RSA"):
            private.public_key().verify(sig, b"imported", padding.PKCS1v15(), hashes.SHA256())
        else:
            private.public_key().verify(sig, b"imported", ec.ECDSA(hashes.SHA256()))
        check(f"{spec}: cryptography verifies the signature of the imported key", True)
    except InvalidSignature as e:
        check(f"{spec}: cryptography verifies the signature of the imported key", False, repr(e))
    check(f"{spec}: ImportType is refused for asymmetric keys",
          error_code(lambda: import_material(key, "RSA_AES_KEY_WRAP_SHA_256", der, ImportType="NEW_KEY_MATERIAL"))
          == "ValidationException")

key = kms.create_key(KeySpec="HMAC_384", KeyUsage="GENERATE_VERIFY_MAC", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
secret = os.urandom(64)
import_material(key, "RSAES_OAEP_SHA_256", secret)
mac = kms.generate_mac(KeyId=key, Message=b"mac me", MacAlgorithm="HMAC_SHA_384")["Mac"]
h = chmac.HMAC(secret, hashes.SHA384())
h.update(b"mac me")
check("HMAC_384: the MAC of the imported key is cryptography's HMAC", mac == h.finalize())

print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
sys.exit(1 if RESULTS["failed"] else 0)
