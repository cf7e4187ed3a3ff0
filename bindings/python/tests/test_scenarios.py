"""keyward.test: the scenario corpus passes; failures are located and traced; load errors raise."""

import pytest

import keyward
from conftest import ROOT, SAMPLE


def test_the_scenario_corpus_passes():
    report = keyward.test(ROOT / "tests" / "scenarios")
    assert report.failed == 0, "\n".join(str(c) for c in report.failures[:5])
    assert report.passed >= 700  # the corpus holds 760 cases; fixtures are skipped
    assert any(c.file.endswith(".yaml") for c in report.cases)


def test_failing_case_is_located_and_traced():
    report = keyward.test([SAMPLE / "bad" / "tests" / "scenarios"])
    assert (report.passed, report.failed) == (1, 1)
    (fail,) = report.failures
    assert fail.location.endswith("bad/tests/scenarios/app.json:11:5")
    assert (fail.expected, fail.actual) == ("Allow", "ImplicitDeny")
    assert fail.trace and "DENIED" in fail.trace
    assert str(report) == "1 passed, 1 failed"


def test_broken_scenario_file_raises_at_line_col(tmp_path):
    f = tmp_path / "broken.json"
    f.write_text('{\n  "description": "x",\n  "cases": [ { "name": 3 } ]\n}\n')
    with pytest.raises(keyward.KeywardError) as e:
        keyward.test(f)
    assert e.value.file == str(f)
    assert e.value.line and e.value.line >= 2
    assert e.value.location.startswith(f"{f}:")
