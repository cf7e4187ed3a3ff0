"""keyward.explain and keyward.explain_cloudtrail: decisions, fixes, JSON, errors at line:col."""

import json

import pytest

import keyward
from conftest import APP_SESSION, INPUTS, KEY_ARN, SAMPLE

KEY_POLICY = SAMPLE / "good" / "policies" / "key-app.json"


def test_matching_context_is_allowed():
    e = keyward.explain(APP_SESSION, "kms:Decrypt", key=KEY_ARN, key_policy=KEY_POLICY,
                        encryption_context={"Department": "Finance"})
    assert e.decision == "Allow" and e.allowed


def test_wrong_context_is_denied_with_a_verified_fix():
    e = keyward.explain(APP_SESSION, "kms:Decrypt", key=KEY_ARN, key_policy=KEY_POLICY,
                        encryption_context={"Department": "HR"})
    assert e.decision == "ImplicitDeny"
    assert e.fixes, "an implicit deny comes with fixes"
    assert "DENIED" in str(e)
    assert "AppDecryptsFinanceData" in str(e)
    # The JSON is the CLI's --format json shape.
    data = json.loads(e.to_json())
    assert data["decision"] == "ImplicitDeny" and "trace" in data and "request" in data


def test_identity_policy_through_delegation():
    allow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": KEY_ARN}]}
    e = keyward.explain(APP_SESSION, "kms:Encrypt", key=KEY_ARN, key_policy=KEY_POLICY,
                        identity_policies=[allow])
    assert e.decision == "Allow"
    deny_scp = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "kms:Encrypt", "Resource": "*"}]}
    e = keyward.explain(APP_SESSION, "kms:Encrypt", key=KEY_ARN, key_policy=KEY_POLICY,
                        identity_policies=[allow], scps=[deny_scp])
    assert e.decision == "ExplicitDeny"


def test_policy_with_errors_raises_at_file_line_col(tmp_path):
    bad = tmp_path / "key-broken.json"
    bad.write_text('{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Maybe",\n'
                   '    "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"\n  }]\n}\n')
    with pytest.raises(keyward.KeywardError) as e:
        keyward.explain(APP_SESSION, "kms:Decrypt", key=KEY_ARN, key_policy=bad)
    err = e.value
    assert (err.file, err.line, err.column) == (str(bad), 4, 15)
    assert str(err).startswith(f"{bad}:4:15: ")
    assert err.location == f"{bad}:4:15"
    assert err.diagnostics and err.diagnostics[0]["file"] == str(bad)


def test_bad_principal_names_the_argument():
    with pytest.raises(keyward.KeywardError) as e:
        keyward.explain("not-an-arn", "kms:Decrypt", key=KEY_ARN, key_policy=KEY_POLICY)
    assert e.value.field == "principal"


def test_bad_time_names_the_argument():
    with pytest.raises(keyward.KeywardError) as e:
        keyward.explain(APP_SESSION, "kms:Decrypt", key=KEY_ARN, key_policy=KEY_POLICY, time="noon")
    assert e.value.field == "time"


def test_cloudtrail_denial_is_replayed_and_agrees_with_the_record():
    r = keyward.explain_cloudtrail(
        INPUTS / "cloudtrail" / "decrypt-assumed-role-denied.json",
        key_policy=INPUTS / "kms" / "get-key-policy.json",
        account_export=INPUTS / "iam" / "account-authorization-details.json")
    assert r.decision == "ImplicitDeny"
    assert r.matches_recorded is True
    assert r.event["event_id"] == "b5d2c6e1-4a1f-4c47-9d1e-5f0b7a3c2d19"
    assert r.explanation.decision == "ImplicitDeny"
    assert json.loads(r.to_json())["matches_recorded"] is True


def test_cloudtrail_scp_denial_needs_the_scp():
    event = INPUTS / "cloudtrail" / "decrypt-denied-by-scp.json"
    kp = INPUTS / "kms" / "get-key-policy.json"
    export = INPUTS / "iam" / "account-authorization-details.json"
    without = keyward.explain_cloudtrail(event, key_policy=kp, account_export=export)
    assert without.matches_recorded is False
    with_scp = keyward.explain_cloudtrail(event, key_policy=kp, account_export=export,
                                          scps=[INPUTS / "org" / "describe-policy-scp.json"])
    assert with_scp.decision == "ExplicitDeny" and with_scp.matches_recorded is True


def test_cloudtrail_broken_key_policy_raises_at_line_col():
    with pytest.raises(keyward.KeywardError) as e:
        keyward.explain_cloudtrail(INPUTS / "cloudtrail" / "decrypt-assumed-role-denied.json",
                                   key_policy=INPUTS / "kms" / "get-key-policy-broken.json")
    assert e.value.file.endswith("get-key-policy-broken.json") and e.value.line > 1
