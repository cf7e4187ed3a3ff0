"""keyward.lint: findings located at file:line:col, every input form, errors as exceptions."""

import json

import pytest

import keyward
from conftest import ROOT, SAMPLE


def test_mistyped_action_is_found_at_its_line_and_column():
    path = SAMPLE / "bad" / "policies" / "key-app.json"
    report = keyward.lint(path)
    assert not report.ok
    (f,) = report.errors
    assert (f.code, f.severity, f.line, f.column) == ("invalid-action", "ERROR", 15, 17)
    assert f.location == f"{path}:15:17"
    assert f.path == "Statement[1].Action"
    assert "kms:Decrypt" in (f.fix or "")
    assert report.kinds[str(path)] == "key"  # from the file name key-app.json


def test_clean_policy_has_no_findings():
    report = keyward.lint(SAMPLE / "good" / "policies" / "key-app.json")
    assert report.ok and len(report) == 0


def test_text_and_dict_inputs_give_the_same_findings_as_the_file():
    path = SAMPLE / "bad" / "policies" / "key-app.json"
    text = path.read_text()
    by_text = keyward.lint(text, kind="key")
    by_dict = keyward.lint(json.loads(text), kind="key")
    assert [(f.code, f.line, f.column) for f in by_text] == [("invalid-action", 15, 17)]
    assert [f.code for f in by_dict] == ["invalid-action"]
    assert by_text.files == ["<text_or_path>"]


def test_folder_lints_every_json_file():
    report = keyward.lint(ROOT / "policies" / "broken")
    assert len(report.files) >= 5
    assert not report.ok
    assert all(f.file.startswith(str(ROOT / "policies" / "broken")) for f in report)


def test_kind_changes_the_rules():
    identity = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]}
    codes = {f.code for f in keyward.lint(identity, kind="identity")}
    assert codes, "a Principal in an identity policy must be reported"
    assert not {f.code for f in keyward.lint(identity, kind="key")} & codes


def test_unknown_kind_is_an_error_naming_the_argument():
    with pytest.raises(keyward.KeywardError) as e:
        keyward.lint("{}", kind="nonsense")
    assert e.value.field == "kind" and "nonsense" in str(e.value)


def test_missing_file_is_an_error_naming_the_file(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(keyward.KeywardError) as e:
        keyward.lint(missing)
    assert e.value.file == str(missing)


def test_report_serializes_to_json():
    data = json.loads(keyward.lint(SAMPLE / "bad" / "policies" / "key-app.json").to_json())
    assert data["findings"][0]["line"] == 15


def test_checks_lists_codes():
    codes = {c["code"] for c in keyward.checks()}
    assert {"invalid-action", "kms-lockout-risk"} <= codes


CFN = """AWSTemplateFormatVersion: '2010-09-09'
Resources:
  AppKey:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: '2012-10-17'
        Statement:
          - Sid: EnableIamPolicies
            Effect: Allow
            Principal: { AWS: !Sub 'arn:aws:iam::${AWS::AccountId}:root' }
            Action: 'kms:*'
            Resource: '*'
          - Sid: AppDecrypts
            Effect: Allow
            Principal: { AWS: 'arn:aws:iam::111122223333:role/App' }
            Action: 'kms:Decrpyt'
            Resource: '*'
"""


def test_cloudformation_yaml_findings_point_into_the_template(tmp_path):
    stack = tmp_path / "stack.yaml"
    stack.write_text(CFN)
    (f,) = keyward.lint(stack).errors
    assert (f.code, f.line, f.column) == ("invalid-action", 17, 21)
    assert f.path == "Resources.AppKey.Properties.KeyPolicy.Statement[1].Action"
    assert keyward.lint(tmp_path).errors == [f]  # a folder includes *.yaml
