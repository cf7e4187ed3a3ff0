"""Shared paths for the keyward package's tests (they run against the installed wheel)."""

import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(os.environ.get("KEYWARD_ROOT", Path(__file__).resolve().parents[3]))
SAMPLE = ROOT / "tests" / "integrations" / "sample"
INPUTS = ROOT / "tests" / "corpus" / "inputs"
KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
APP_SESSION = "arn:aws:sts::111122223333:assumed-role/App/s1"


@pytest.fixture
def root() -> Path:
    return ROOT
