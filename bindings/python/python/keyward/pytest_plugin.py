"""pytest plugin: keyward scenario files as test items, one per case.

A file is collected when its path (relative to the rootdir, with ``/``) matches one of the
``keyward_scenarios`` ini patterns (fnmatch; default: JSON/YAML files under a ``scenarios/``
folder, and ``*.scenario.json|yaml|yml``) and it has a top-level ``cases`` key, so policy
fixtures beside scenario files are left alone. A failing case reports ``file:line:col``, the
expected and actual decision, and keyward's trace. Disable with ``-p no:keyward``.
"""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Iterator, List, Optional

import pytest

import keyward

DEFAULT_PATTERNS = [
    "*scenarios/*.json", "*scenarios/*.yaml", "*scenarios/*.yml",
    "*.scenario.json", "*.scenario.yaml", "*.scenario.yml",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("keyward_scenarios", type="linelist", default=DEFAULT_PATTERNS,
                  help="fnmatch patterns (relative to rootdir) of keyward scenario files to collect")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Optional["ScenarioFile"]:
    if file_path.suffix not in (".json", ".yaml", ".yml"):
        return None
    try:
        rel = file_path.relative_to(parent.config.rootpath).as_posix()
    except ValueError:
        rel = file_path.as_posix()
    patterns: List[str] = parent.config.getini("keyward_scenarios")
    if not any(fnmatch(rel, p) for p in patterns):
        return None
    try:
        text = file_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not keyward.is_scenario_text(text, file_path.suffix != ".json"):
        return None
    return ScenarioFile.from_parent(parent, path=file_path)


class ScenarioFile(pytest.File):
    """One scenario file; its cases are the items."""

    def collect(self) -> Iterator["ScenarioCase"]:
        try:
            cases = keyward.run_scenario_file(self.path)
        except keyward.KeywardError as e:
            raise ScenarioLoadError(e) from None
        for case in cases:
            yield ScenarioCase.from_parent(self, name=case.name, case=case)


class ScenarioLoadError(Exception):
    """A scenario file that does not load; pytest shows it as a collection error."""

    def __init__(self, err: keyward.KeywardError) -> None:
        lines = [str(err)]
        lines += [d.get("rendered", "").rstrip() for d in err.diagnostics[1:]]
        super().__init__("\n".join(line for line in lines if line))
        self.error = err


class ScenarioCaseFailure(Exception):
    """Raised by a case whose decision differs from its expectation."""


class ScenarioCase(pytest.Item):
    """One case of a scenario file (already decided when the file was collected)."""

    def __init__(self, *, case: keyward.CaseResult, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        if not self.case.passed:
            raise ScenarioCaseFailure(self.case)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioCaseFailure):
            c = self.case
            out = [f"{c.location}: {c.name}", f"  expected {c.expected}, got {c.actual}"]
            if c.trace:
                out += ["  | " + line for line in c.trace.splitlines()]
            return "\n".join(out)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple:
        return self.path, self.case.line - 1, f"scenario: {self.case.name}"
