#!/usr/bin/env python3
"""The newer key specs through `keyward serve`, checked with independent implementations.

Run by tests/sdk/run.sh with the environment of boto3_workflow.py (KEYWARD_ENDPOINT,
KW_ADMIN_ID/KW_ADMIN_SECRET). Ed25519 signatures and ECDH shared secrets are checked with the
`cryptography` package (OpenSSL), ML-DSA signatures (RAW and EXTERNAL_MU) with dilithium-py, a
pure-Python FIPS 204 implementation, ML-KEM public keys and shared secrets with `cryptography`
(ML_KEM_768/1024) and kyber-py (all three, pure-Python FIPS 203). Prints one line per check and ends with `N passed, M
failed`; exits 1 on any failure.
"""

import hashlib
import os
import sys

import boto3
import botocore.config
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import mlkem
from dilithium_py.ml_dsa import ML_DSA_44, ML_DSA_65, ML_DSA_87
from kyber_py.ml_kem import ML_KEM_512, ML_KEM_768, ML_KEM_1024

ENDPOINT = os.environ["KEYWARD_ENDPOINT"]
RESULTS = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    RESULTS["passed" if cond else "failed"] += 1
    print(f"{'ok  ' if cond else 'FAIL'} {name}{'' if cond else f' {detail}'}")


def kms_client():
    return boto3.client(
        "kms",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=os.environ["KW_ADMIN_ID"],
        aws_secret_access_key=os.environ["KW_ADMIN_SECRET"],
        config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=60),
    )


def ed25519(kms):
    key = kms.create_key(KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
    message = b"signed by keyward, checked by OpenSSL"
    sig = kms.sign(KeyId=key, Message=message, MessageType="RAW", SigningAlgorithm="ED25519_SHA_512")["Signature"]
    try:
        public.verify(sig, message)
        good = True
    except InvalidSignature:
        good = False
    check("Ed25519 signature verifies with cryptography", good)
    try:
        public.verify(sig, message + b"!")
        tampered = True
    except InvalidSignature:
        tampered = False
    check("Ed25519 signature of another message does not", not tampered)


def ecdh(kms):
    for spec, curve in (("ECC_NIST_P256", ec.SECP256R1()), ("ECC_NIST_P384", ec.SECP384R1()), ("ECC_NIST_P521", ec.SECP521R1())):
        key = kms.create_key(KeySpec=spec, KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
        theirs = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
        peer = ec.generate_private_key(curve)
        peer_der = peer.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        out = kms.derive_shared_secret(KeyId=key, KeyAgreementAlgorithm="ECDH", PublicKey=peer_der)
        expected = peer.exchange(ec.ECDH(), theirs)
        check(f"DeriveSharedSecret {spec} equals the peer's ECDH", out["SharedSecret"] == expected)


def ml_dsa(kms):
    # The public key is the end of its SubjectPublicKeyInfo (FIPS 204 sizes).
    for spec, impl, size in (("ML_DSA_44", ML_DSA_44, 1312), ("ML_DSA_65", ML_DSA_65, 1952), ("ML_DSA_87", ML_DSA_87, 2592)):
        key = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        pk = kms.get_public_key(KeyId=key)["PublicKey"][-size:]
        message = b"post-quantum message"
        sig = kms.sign(KeyId=key, Message=message, SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
        check(f"{spec} RAW signature verifies with dilithium-py", impl.verify(pk, message, sig))
        check(f"{spec} signature of another message does not", not impl.verify(pk, message + b"!", sig))
        # EXTERNAL_MU: mu = SHAKE256(SHAKE256(pk, 64) || 0 || len(ctx)=0 || M, 64) (FIPS 204).
        tr = hashlib.shake_256(pk).digest(64)
        mu = hashlib.shake_256(tr + b"\x00\x00" + message).digest(64)
        sig = kms.sign(KeyId=key, Message=mu, MessageType="EXTERNAL_MU", SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
        check(f"{spec} EXTERNAL_MU signature verifies as the message's", impl.verify(pk, message, sig))


def ml_kem(kms):
    # The encapsulation key is the end of its SubjectPublicKeyInfo (FIPS 203 sizes).
    specs = (("ML_KEM_512", ML_KEM_512, 800, None), ("ML_KEM_768", ML_KEM_768, 1184, mlkem.MLKEM768PublicKey),
             ("ML_KEM_1024", ML_KEM_1024, 1568, mlkem.MLKEM1024PublicKey))
    for spec, impl, size, openssl_type in specs:
        key = kms.create_key(KeySpec=spec, KeyUsage="ENCAPSULATE_DECAPSULATE")["KeyMetadata"]["KeyId"]
        der = kms.get_public_key(KeyId=key)["PublicKey"]
        ek = der[-size:]
        if openssl_type is not None:
            public = serialization.load_der_public_key(der)
            check(f"{spec} public key loads in cryptography as {openssl_type.__name__}", isinstance(public, openssl_type))
            secret, ct = public.encapsulate()
            out = kms.decapsulate(KeyId=key, EncapsulationAlgorithm="ML_KEM", SharedSecretCiphertextBlob=ct)
            check(f"{spec} Decapsulate recovers cryptography's secret", out["SharedSecret"] == secret)
        secret, ct = impl.encaps(ek)
        out = kms.decapsulate(KeyId=key, EncapsulationAlgorithm="ML_KEM", SharedSecretCiphertextBlob=ct)
        check(f"{spec} Decapsulate recovers kyber-py's secret", out["SharedSecret"] == secret)
        enc = kms.encapsulate(KeyId=key, EncapsulationAlgorithm="ML_KEM")
        back = kms.decapsulate(KeyId=key, EncapsulationAlgorithm="ML_KEM",
                               SharedSecretCiphertextBlob=enc["SharedSecretCiphertextBlob"])
        check(f"{spec} Encapsulate then Decapsulate agree", back["SharedSecret"] == enc["SharedSecret"]
              and len(enc["SharedSecret"]) == 32)
    # ML-KEM data key pairs: the PKCS#8 private key loads in cryptography and matches the public key.
    sym = kms.create_key()["KeyMetadata"]["KeyId"]
    for spec in ("ML_KEM_768", "ML_KEM_1024"):
        pair = kms.generate_data_key_pair(KeyId=sym, KeyPairSpec=spec)
        private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], password=None)
        public = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        check(f"{spec} data key pair: the private key loads in cryptography and matches", public == pair["PublicKey"])


def main():
    kms = kms_client()
    ed25519(kms)
    ecdh(kms)
    ml_dsa(kms)
    ml_kem(kms)
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
