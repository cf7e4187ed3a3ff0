"""The pytest plugin, run through pytester: one item per case, failures show file:line:col and
the trace, fixtures and non-scenario files are not collected, load errors are collection errors."""

import shutil

from conftest import SAMPLE


def _project(pytester, sample):
    shutil.copytree(SAMPLE / sample, pytester.path, dirs_exist_ok=True)


def test_good_scenarios_pass_one_item_per_case(pytester):
    _project(pytester, "good")
    result = pytester.runpytest("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*app.json::App decrypts with the Finance context PASSED*",
                                 "*app.json::App may not decrypt HR data PASSED*"])


def test_failing_case_reports_location_and_trace(pytester):
    _project(pytester, "bad")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*tests/scenarios/app.json:11:5: App decrypts with the Finance context",
        "*expected Allow, got ImplicitDeny",
        "*| DENIED*",
    ])


def test_policies_and_other_json_are_not_collected(pytester):
    _project(pytester, "good")
    pytester.makefile(".json", package='{"name": "x"}')
    pytester.makefile(".json", **{"tests/scenarios/fixture": '{"Version": "2012-10-17", "Statement": []}'})
    result = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    assert "2 tests collected" in result.stdout.str()


def test_ini_patterns_choose_files(pytester):
    _project(pytester, "good")
    pytester.makeini("[pytest]\nkeyward_scenarios = nothing/*.json\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == 5  # no tests collected


def test_broken_scenario_is_a_collection_error_at_line_col(pytester):
    pytester.makefile(".json", **{"scenarios/broken": '{\n  "description": "x",\n  "cases": [ { "name": 3 } ]\n}\n'})
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*scenarios/broken.json:*:*"])


def test_plugin_can_be_disabled(pytester):
    _project(pytester, "good")
    result = pytester.runpytest("-p", "no:keyward", "-p", "no:cacheprovider")
    assert result.ret == 5
