"""keyward.Kms: the in-process KMS round trips, AWS errors as KmsError, denials explained."""

import pytest

import keyward

ROLE = "arn:aws:iam::111122223333:role/App"
SESSION = "arn:aws:sts::111122223333:assumed-role/App/s1"


@pytest.fixture
def kms():
    return keyward.Kms(clock=lambda: 1_773_151_200_000)


def test_encrypt_decrypt_round_trip_with_alias_and_context(kms):
    key = kms.create_key(description="test")
    assert key["KeyState"] == "Enabled" and key["KeyUsage"] == "ENCRYPT_DECRYPT"
    kms.create_alias("alias/app", key["KeyId"])
    blob = kms.encrypt("alias/app", b"Sensitive customer data", {"Department": "Finance"})
    assert b"Sensitive" not in blob
    assert kms.decrypt(blob, {"Department": "Finance"}) == b"Sensitive customer data"
    assert kms.describe_key("alias/app")["Arn"] == key["Arn"]


def test_wrong_context_is_invalid_ciphertext(kms):
    key = kms.create_key()["KeyId"]
    blob = kms.encrypt(key, "secret", {"Department": "Finance"})
    with pytest.raises(keyward.KmsError) as e:
        kms.decrypt(blob, {"Department": "HR"})
    assert e.value.code == "InvalidCiphertextException"


def test_data_key_decrypts_to_its_plaintext(kms):
    key = kms.create_key()["KeyId"]
    dk = kms.generate_data_key(key, encryption_context={"app": "x"})
    assert len(dk.plaintext) == 32
    assert kms.decrypt(dk.ciphertext, {"app": "x"}) == dk.plaintext


def test_role_without_policy_is_denied_and_explained(kms):
    key = kms.create_key()["KeyId"]
    blob = kms.encrypt(key, b"x")
    kms.put_identity(ROLE)
    with pytest.raises(keyward.KmsError) as e:
        kms.decrypt(blob, caller=SESSION)
    assert e.value.code == "AccessDeniedException"
    assert "is not authorized to perform: kms:Decrypt" in e.value.aws_message
    assert e.value.explanation is not None
    assert e.value.explanation.decision == "ImplicitDeny"


def test_identity_policy_allows_through_the_default_key_policy(kms):
    key = kms.create_key()
    allow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": key["Arn"]}]}
    kms.put_identity(ROLE, {"app": allow})
    blob = kms.encrypt(key["KeyId"], b"x", caller=SESSION)
    assert kms.decrypt(blob, caller=SESSION) == b"x"
    kms.put_scp("deny-decrypt", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}]})
    with pytest.raises(keyward.KmsError) as e:
        kms.decrypt(blob, caller=SESSION)
    assert e.value.explanation.decision == "ExplicitDeny"


def test_generic_call_and_validation_errors(kms):
    kms.create_key()
    assert len(kms.call("ListKeys")["Keys"]) == 1
    assert "Decrypt" in kms.operations()
    with pytest.raises(keyward.KmsError) as e:
        kms.call("DescribeKey", {"KeyId": "alias/none"})
    assert e.value.code == "NotFoundException"
    with pytest.raises(keyward.KmsError):
        kms.call("NoSuchOperation", {})


def test_invalid_identity_policy_is_refused(kms):
    with pytest.raises(keyward.KeywardError):
        kms.put_identity(ROLE, {"bad": '{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]}'})
