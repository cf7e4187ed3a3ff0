"""keyward: AWS KMS and IAM authorization decided offline, exactly as AWS does, and explained.

The work is done by keyward's Rust crates through the native module ``keyward._keyward``; this
module turns Python values into its JSON arguments, its JSON results into Python objects, and
its errors into exceptions carrying ``file:line:col``.
"""

from __future__ import annotations

import base64
import json
import os
import time as _time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union

from . import _keyward

__all__ = [
    "KeywardError", "KmsError", "Finding", "LintReport", "Explanation", "CloudTrailReport",
    "CaseResult", "TestReport", "DataKey", "Kms", "lint", "explain", "explain_bundle",
    "explain_service_call", "explain_cloudtrail", "test",
    "run_scenario_file", "is_scenario_text", "checks", "__version__",
]

__version__: str = _keyward.version()

Document = Union[str, "os.PathLike[str]", Mapping[str, Any], Sequence[Any], bytes]


class KeywardError(Exception):
    """Bad input: a document with errors, an unknown kind, a malformed request.

    ``file``, ``line`` and ``column`` (1-based, characters) locate the first problem when it is
    in a document; ``diagnostics`` lists every diagnostic as a dict; ``field`` names the
    argument when the problem is in one.
    """

    def __init__(self, message: str, *, file: Optional[str] = None, line: Optional[int] = None,
                 column: Optional[int] = None, code: Optional[str] = None,
                 field: Optional[str] = None, diagnostics: Sequence[Dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.code = code
        self.field = field
        self.diagnostics = list(diagnostics)

    @property
    def location(self) -> Optional[str]:
        """``file:line:col``, or None when the error is not in a document."""
        if self.file is None or self.line is None:
            return None
        return f"{self.file}:{self.line}:{self.column or 1}"


class KmsError(KeywardError):
    """A KMS call refused, with the AWS error code (``AccessDeniedException``, ...).

    For a denial, ``explanation`` says why, as :func:`explain` would.
    """

    def __init__(self, message: str, *, code: str, explanation: Optional["Explanation"] = None) -> None:
        super().__init__(f"{code}: {message}", code=code)
        self.aws_message = message
        self.explanation = explanation


def _check(result_json: str) -> Dict[str, Any]:
    r = json.loads(result_json)
    if not r.get("ok"):
        e = r.get("error", {})
        raise KeywardError(e.get("message", "keyward failed"), file=e.get("file"), line=e.get("line"),
                           column=e.get("column"), code=e.get("code"), field=e.get("field"),
                           diagnostics=e.get("diagnostics", ()))
    return r


def _looks_like_text(s: str) -> bool:
    head = s.lstrip()[:1]
    return head in ("{", "[") or "\n" in s


def _document(value: Document, what: str) -> Dict[str, str]:
    """A document as ``{name, text}``: a path, JSON text, or a dict/list to serialize."""
    if isinstance(value, (dict, list, tuple)) or isinstance(value, Mapping):
        return {"name": f"<{what}>", "text": json.dumps(value, indent=2)}
    if isinstance(value, bytes):
        return {"name": f"<{what}>", "text": value.decode("utf-8")}
    if isinstance(value, str) and _looks_like_text(value):
        return {"name": f"<{what}>", "text": value}
    path = Path(os.fspath(value))
    try:
        return {"name": str(path), "text": path.read_text(encoding="utf-8")}
    except OSError as e:
        raise KeywardError(f"{what}: cannot read {path}: {e.strerror or e}", file=str(path), field=what) from None
    except UnicodeDecodeError as e:
        raise KeywardError(f"{what}: {path} is not UTF-8 text ({e.reason})", file=str(path), field=what) from None


def _documents(values: Union[None, Document, Iterable[Document]], what: str) -> List[Dict[str, str]]:
    if values is None:
        return []
    if isinstance(values, (str, bytes, os.PathLike, Mapping)):
        return [_document(values, what)]
    return [_document(v, f"{what}[{i}]") for i, v in enumerate(values)]


# ---------------------------------------------------------------------------------------------
# lint

@dataclass(frozen=True)
class Finding:
    """One lint finding, located at ``file:line:column``."""

    code: str
    severity: str
    message: str
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    path: str
    fix: Optional[str] = None

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def __str__(self) -> str:
        fix = f" (help: {self.fix})" if self.fix else ""
        return f"{self.location}: {self.severity}[{self.code}]: {self.message}{fix}"


@dataclass
class LintReport:
    """The findings of :func:`lint` over one or more documents."""

    findings: List[Finding] = field(default_factory=list)
    files: List[str] = field(default_factory=list)
    kinds: Dict[str, Optional[str]] = field(default_factory=dict)

    @property
    def errors(self) -> List[Finding]:
        return [f for f in self.findings if f.severity == "ERROR"]

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not self.errors

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def to_dict(self) -> Dict[str, Any]:
        return {"files": self.files, "kinds": self.kinds,
                "findings": [f.__dict__.copy() for f in self.findings]}

    def to_json(self, indent: Optional[int] = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


_LINT_SUFFIXES = (".json", ".yaml", ".yml", ".template")


def lint(text_or_path: Document, kind: str = "auto") -> LintReport:
    """Lints policies like ``keyward lint``: a policy or grant document, or the policies inside
    a CloudFormation template (JSON or YAML) or a Terraform plan; given as a path, a folder
    (every ``*.json``, ``*.yaml``, ``*.yml`` and ``*.template`` in it), JSON text, or a dict.
    ``kind`` (for plain documents) is ``auto`` (from the file name, then the content), ``key``,
    ``resource``, ``identity``, ``scp``, ``rcp``, ``boundary``, ``session`` or ``grant``.
    Findings are located in the file given.
    """
    docs: List[Dict[str, str]]
    if isinstance(text_or_path, (str, os.PathLike)) and not (
            isinstance(text_or_path, str) and _looks_like_text(text_or_path)) and Path(text_or_path).is_dir():
        root = Path(text_or_path)
        docs = [_document(p, "text_or_path") for p in sorted(root.rglob("*")) if p.suffix in _LINT_SUFFIXES]
    else:
        docs = [_document(text_or_path, "text_or_path")]
    report = LintReport()
    for d in docs:
        r = _check(_keyward.lint(d["text"], kind, d["name"]))
        report.files.append(d["name"])
        report.kinds[d["name"]] = r.get("kind")
        report.findings.extend(Finding(**f) for f in r["findings"])
    return report


def checks() -> List[Dict[str, Any]]:
    """Every check :func:`lint` can report: code, severity, title, Access Analyzer code."""
    return json.loads(_keyward.checks())


# ---------------------------------------------------------------------------------------------
# explain

class Explanation:
    """A decision and why: ``decision`` (``Allow``, ``ExplicitDeny``, ``ImplicitDeny``),
    ``rule``, ``summary``, ``deciders``, verified ``fixes``, the ``request`` as evaluated and the
    full ``trace``. ``str()`` gives the human rendering, ``to_json()`` the JSON of the CLI's
    ``--format json``.
    """

    def __init__(self, data: Dict[str, Any], human: str) -> None:
        self.data = data
        self.human = human

    decision = property(lambda self: self.data["decision"])
    rule = property(lambda self: self.data["rule"])
    summary = property(lambda self: self.data["summary"])
    deciders = property(lambda self: self.data["deciders"])
    fixes = property(lambda self: self.data["fixes"])
    request = property(lambda self: self.data["request"])
    trace = property(lambda self: self.data["trace"])

    @property
    def allowed(self) -> bool:
        return self.decision == "Allow"

    def to_dict(self) -> Dict[str, Any]:
        return self.data

    def to_json(self, indent: Optional[int] = 2) -> str:
        return json.dumps(self.data, indent=indent)

    def __str__(self) -> str:
        return self.human

    def __repr__(self) -> str:
        return f"<Explanation {self.decision}: {self.summary}>"


def explain(principal: str, action: str, *, key_policy: Optional[Document] = None,
            resource_policy: Optional[Document] = None,
            identity_policies: Union[None, Document, Iterable[Document]] = None,
            grants: Optional[Document] = None, scps: Union[None, Document, Iterable[Document]] = None,
            rcps: Union[None, Document, Iterable[Document]] = None, boundary: Optional[Document] = None,
            session_policy: Optional[Document] = None, key: Optional[str] = None,
            alias: Optional[str] = None, resource: Optional[str] = None,
            encryption_context: Optional[Mapping[str, str]] = None, via_service: Optional[str] = None,
            context: Optional[Mapping[str, Any]] = None, principal_tags: Optional[Mapping[str, str]] = None,
            time: Optional[str] = None, region: Optional[str] = None) -> Explanation:
    """Decides one request the way AWS would and explains it (``keyward explain``'s inputs).

    Documents may be paths, JSON text or dicts; every SCP is at one level, as are the RCPs.
    """
    request: Dict[str, Any] = {
        "principal": principal, "action": action, "key_arn": key, "alias": alias, "resource": resource,
        "encryption_context": dict(encryption_context or {}), "via_service": via_service,
        "context": dict(context or {}), "principal_tags": dict(principal_tags or {}),
        "time": time, "region": region,
    }
    bundle: Dict[str, Any] = {"request": request}
    names: Dict[str, str] = {}
    for name, value in (("key_policy", key_policy), ("resource_policy", resource_policy),
                        ("grants", grants), ("boundary", boundary), ("session_policy", session_policy)):
        if value is not None:
            d = _document(value, name)
            bundle[name], names[name] = d["text"], d["name"]
    for name, values in (("identity_policies", identity_policies), ("scps", scps), ("rcps", rcps)):
        ds = _documents(values, name)
        for i, d in enumerate(ds):
            names[f"{name}[{i}]" if name == "identity_policies" else f"{name}[0][{i}]"] = d["name"]
        if ds:
            bundle[name] = ds if name == "identity_policies" else [ds]
    r = json.loads(_keyward.explain_bundle(json.dumps(bundle)))
    if not r.get("ok"):
        raise _bundle_error(r.get("error", {}), names)
    data = {k: v for k, v in r.items() if k not in ("ok", "text")}
    return Explanation(data, r.get("text", ""))


# Bundle request fields under the names of explain()'s arguments.
_ARGUMENT = {"key_arn": "key"}


def _bundle_error(e: Dict[str, Any], names: Mapping[str, str]) -> KeywardError:
    """A bundle error (keyward_bundle's shape, as the playground gets it) as the exception of
    :func:`explain`: a document's error at ``file:line:col`` of the document, a request
    field's under the argument's name."""
    field_ = e.get("field") or ""
    message = e.get("message", "keyward failed")
    if field_ in names:
        file = names[field_]
        line, column = e.get("line", 1), e.get("column", 1)
        detail = message[len(field_) + 2:] if message.startswith(f"{field_}: ") else message
        diags = [dict(d, file=file) for d in e.get("diagnostics", ())]
        code = diags[0].get("code") if diags else None
        return KeywardError(f"{file}:{line}:{column}: {detail}", file=file, line=line, column=column,
                            code=code, field=field_, diagnostics=diags)
    if field_.startswith("request."):
        arg = field_[len("request."):].split(".")[0]
        return KeywardError(message, field=_ARGUMENT.get(arg, arg))
    return KeywardError(message, field=field_ or None)


def explain_bundle(bundle: Union[str, Mapping[str, Any]]) -> Dict[str, Any]:
    """Decides and explains an explain *bundle*, the JSON the playground and the WASM module's
    ``explain`` take (documents as text, a ``request`` object), and returns the same JSON they
    return: the explanation with positions, each fix with its ``fixed_text`` or
    ``fixed_request``; ``{"ok": false, "error": ...}`` for bad input (no exception)."""
    text = bundle if isinstance(bundle, str) else json.dumps(bundle)
    return json.loads(_keyward.explain_bundle(text))


def explain_service_call(bundle: Union[str, Mapping[str, Any]]) -> Dict[str, Any]:
    """The WASM module's ``explain_service_call``: a bundle whose ``request.service_call``
    (service, operation, resource, key, region, params) names a call an AWS service makes on the
    caller's behalf; each request decided, the first denied one explained. Same JSON as WASM."""
    text = bundle if isinstance(bundle, str) else json.dumps(bundle)
    return json.loads(_keyward.explain_service_call(text))


@dataclass
class CloudTrailReport:
    """:func:`explain_cloudtrail`'s result: the event as derived, keyward's decision, the
    outcome CloudTrail recorded, whether they agree (None when the event failed for another
    reason), and the explanation."""

    event: Dict[str, Any]
    decision: str
    recorded: Any
    matches_recorded: Optional[bool]
    explanation: Explanation

    def to_json(self, indent: Optional[int] = 2) -> str:
        return json.dumps({"event": self.event, "decision": self.decision, "recorded": self.recorded,
                           "matches_recorded": self.matches_recorded,
                           "explanation": self.explanation.data}, indent=indent)


def explain_cloudtrail(event: Document, *, key_policy: Document, account_export: Optional[Document] = None,
                       identity_policies: Union[None, Document, Iterable[Document]] = None,
                       grants: Optional[Document] = None, scps: Union[None, Document, Iterable[Document]] = None,
                       rcps: Union[None, Document, Iterable[Document]] = None,
                       boundary: Optional[Document] = None, session_policy: Optional[Document] = None,
                       event_id: Optional[str] = None) -> CloudTrailReport:
    """Replays the KMS request a CloudTrail event records (``keyward explain --cloudtrail``).

    ``event``: one event, ``{"Records": [...]}`` or ``lookup-events`` output; ``event_id``
    picks one (eventID or 1-based number). ``key_policy`` may be ``get-key-policy`` output,
    ``account_export`` is ``get-account-authorization-details`` output, SCPs/RCPs may be
    ``describe-policy`` output.
    """
    args: Dict[str, Any] = {
        "event": _document(event, "event"), "key_policy": _document(key_policy, "key_policy"),
        "identity_policies": _documents(identity_policies, "identity_policies"),
        "scps": _documents(scps, "scps"), "rcps": _documents(rcps, "rcps"), "event_id": event_id,
    }
    for name, value in (("account_export", account_export), ("grants", grants), ("boundary", boundary),
                        ("session_policy", session_policy)):
        if value is not None:
            args[name] = _document(value, name)
    r = _check(_keyward.explain_cloudtrail(json.dumps(args)))
    return CloudTrailReport(r["event"], r["decision"], r["recorded"], r["matches_recorded"],
                            Explanation(r["explanation"], r["human"]))


# ---------------------------------------------------------------------------------------------
# scenario tests

@dataclass(frozen=True)
class CaseResult:
    """One scenario case: where it is, what was expected, what keyward decided, and for a
    failure the human trace."""

    file: str
    line: int
    column: int
    name: str
    expected: str
    actual: str
    passed: bool
    trace: Optional[str] = None

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def __str__(self) -> str:
        status = "ok  " if self.passed else "FAIL"
        return f"{status} {self.location} {self.name}: expected {self.expected}, got {self.actual}"


@dataclass
class TestReport:
    """:func:`test`'s result."""

    __test__ = False  # not a pytest test class

    cases: List[CaseResult] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.cases)

    @property
    def failed(self) -> int:
        return sum(not c.passed for c in self.cases)

    @property
    def failures(self) -> List[CaseResult]:
        return [c for c in self.cases if not c.passed]

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def __str__(self) -> str:
        return f"{self.passed} passed, {self.failed} failed"


_SCENARIO_SUFFIXES = (".json", ".yaml", ".yml")


def is_scenario_text(text: str, yaml: bool) -> bool:
    """True when the text has a top-level ``cases`` key (policy fixtures beside scenario files
    have none)."""
    if not yaml:
        try:
            doc = json.loads(text)
        except ValueError:
            return True  # let the loader report the error at its line:col
        return isinstance(doc, dict) and "cases" in doc
    return any(line.startswith("cases:") for line in text.splitlines())


def run_scenario_file(path: Union[str, "os.PathLike[str]"]) -> List[CaseResult]:
    """Runs one scenario file; raises :class:`KeywardError` (at file:line:col) when it does not
    load."""
    p = Path(path)
    file = str(p)
    text = _document(p, "path")["text"]
    r = json.loads(_keyward.run_scenario(text, file, p.suffix in (".yaml", ".yml")))
    if not r.get("ok"):
        e = r.get("error", {})
        line, column = e.get("line", 1), e.get("column", 1)
        message = e.get("message", "invalid scenario file")
        message = message[len("scenario: "):] if message.startswith("scenario: ") else message
        raise KeywardError(f"{file}:{line}:{column}: {message}", file=file, line=line, column=column,
                           diagnostics=[dict(d, file=file) for d in e.get("diagnostics", ())])
    return [CaseResult(file=file, line=c["line"], column=c["column"], name=c["name"],
                       expected=c["expected"], actual=c["actual"], passed=c["pass"],
                       trace=c.get("trace")) for c in r["cases"]]


def test(paths: Union[str, "os.PathLike[str]", Iterable[Union[str, "os.PathLike[str]"]]]) -> TestReport:
    """Runs scenario files (JSON or YAML) and folders of them, like ``keyward test``.

    In a folder, files without a top-level ``cases`` key are fixtures and are skipped.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    report = TestReport()
    for given in paths:
        p = Path(given)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.suffix in _SCENARIO_SUFFIXES and f.is_file():
                    text = f.read_text(encoding="utf-8")
                    if is_scenario_text(text, f.suffix != ".json"):
                        report.cases.extend(run_scenario_file(f))
        else:
            report.cases.extend(run_scenario_file(p))
    return report


test.__test__ = False  # type: ignore[attr-defined]  # pytest must not collect keyward.test


# ---------------------------------------------------------------------------------------------
# the in-process KMS

@dataclass(frozen=True)
class DataKey:
    """GenerateDataKey's result: the plaintext key, its encrypted copy, the KMS key's ARN."""

    plaintext: bytes
    ciphertext: bytes
    key_id: str


def _b64(data: Union[bytes, str]) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.b64encode(data).decode("ascii")


class Kms:
    """An in-memory keyward KMS (account 111122223333, the administrator ``user/admin``
    seeded): AWS's request and response shapes, every call authorized by keyward's evaluator.

    ``caller`` is the default principal ARN of calls (the administrator if None); each method
    takes ``caller=`` too. ``clock`` returns the time in milliseconds (default: the system
    clock). Refused calls raise :class:`KmsError`.
    """

    def __init__(self, region: Optional[str] = None, *, caller: Optional[str] = None,
                 clock: Optional[Callable[[], int]] = None) -> None:
        self._core = _keyward.KmsCore(region)
        self.caller = caller or _keyward.KmsCore.default_caller()
        self._clock = clock or (lambda: int(_time.time() * 1000))

    @staticmethod
    def operations() -> List[str]:
        return list(_keyward.KmsCore.operations())

    def call(self, operation: str, request: Optional[Mapping[str, Any]] = None, *,
             caller: Optional[str] = None, source_ip: Optional[str] = None,
             via_service: Optional[str] = None, mfa_age_s: Optional[int] = None,
             source_vpce: Optional[str] = None, session_policy: Optional[Document] = None) -> Dict[str, Any]:
        """Calls any operation by its AWS name with its AWS JSON request; returns the response."""
        who = {"principal": caller or self.caller, "now_ms": int(self._clock()), "source_ip": source_ip,
               "via_service": via_service, "mfa_age_s": mfa_age_s, "source_vpce": source_vpce,
               "session_policy": _document(session_policy, "session_policy")["text"] if session_policy else None}
        r = json.loads(self._core.call(json.dumps(who), operation, json.dumps(dict(request or {}))))
        if not r.get("ok"):
            e = r.get("error", {})
            ex = e.get("explanation")
            raise KmsError(e.get("message", ""), code=e.get("code", "KMSInternalException"),
                           explanation=Explanation(ex, e.get("human", "")) if ex else None)
        return r["output"]

    def create_key(self, description: Optional[str] = None, *, key_spec: Optional[str] = None,
                   key_usage: Optional[str] = None, policy: Optional[Document] = None,
                   tags: Optional[Mapping[str, str]] = None, caller: Optional[str] = None) -> Dict[str, Any]:
        """CreateKey; returns the KeyMetadata."""
        req: Dict[str, Any] = {}
        if description is not None:
            req["Description"] = description
        if key_spec:
            req["KeySpec"] = key_spec
        if key_usage:
            req["KeyUsage"] = key_usage
        if policy is not None:
            req["Policy"] = _document(policy, "policy")["text"]
        if tags:
            req["Tags"] = [{"TagKey": k, "TagValue": v} for k, v in tags.items()]
        return self.call("CreateKey", req, caller=caller)["KeyMetadata"]

    def describe_key(self, key_id: str, *, caller: Optional[str] = None) -> Dict[str, Any]:
        """DescribeKey; returns the KeyMetadata."""
        return self.call("DescribeKey", {"KeyId": key_id}, caller=caller)["KeyMetadata"]

    def create_alias(self, alias_name: str, target_key_id: str, *, caller: Optional[str] = None) -> None:
        """CreateAlias."""
        self.call("CreateAlias", {"AliasName": alias_name, "TargetKeyId": target_key_id}, caller=caller)

    def encrypt(self, key_id: str, plaintext: Union[bytes, str],
                encryption_context: Optional[Mapping[str, str]] = None, *,
                caller: Optional[str] = None) -> bytes:
        """Encrypt; returns the ciphertext blob."""
        req: Dict[str, Any] = {"KeyId": key_id, "Plaintext": _b64(plaintext)}
        if encryption_context:
            req["EncryptionContext"] = dict(encryption_context)
        return base64.b64decode(self.call("Encrypt", req, caller=caller)["CiphertextBlob"])

    def decrypt(self, ciphertext: bytes, encryption_context: Optional[Mapping[str, str]] = None, *,
                key_id: Optional[str] = None, caller: Optional[str] = None) -> bytes:
        """Decrypt; returns the plaintext."""
        req: Dict[str, Any] = {"CiphertextBlob": _b64(ciphertext)}
        if encryption_context:
            req["EncryptionContext"] = dict(encryption_context)
        if key_id:
            req["KeyId"] = key_id
        return base64.b64decode(self.call("Decrypt", req, caller=caller)["Plaintext"])

    def generate_data_key(self, key_id: str, key_spec: str = "AES_256",
                          encryption_context: Optional[Mapping[str, str]] = None, *,
                          caller: Optional[str] = None) -> DataKey:
        """GenerateDataKey; returns the plaintext and encrypted data key."""
        req: Dict[str, Any] = {"KeyId": key_id, "KeySpec": key_spec}
        if encryption_context:
            req["EncryptionContext"] = dict(encryption_context)
        out = self.call("GenerateDataKey", req, caller=caller)
        return DataKey(base64.b64decode(out["Plaintext"]), base64.b64decode(out["CiphertextBlob"]), out["KeyId"])

    def put_identity(self, arn: str, policies: Optional[Mapping[str, Document]] = None,
                     boundary: Optional[Document] = None) -> None:
        """Adds or replaces an IAM user or role of the account model, with named identity
        policies (``{"name": policy}``) and an optional permissions boundary."""
        pols = [[name, _document(p, f"policies[{name!r}]")["text"]] for name, p in (policies or {}).items()]
        b = _document(boundary, "boundary")["text"] if boundary is not None else None
        _check_kms(self._core.put_identity(arn, json.dumps(pols), b))

    def put_scp(self, name: str, policy: Document) -> None:
        """Adds or replaces a service control policy (one level, every account)."""
        _check_kms(self._core.put_org_policy(name, "scp", _document(policy, "policy")["text"]))

    def put_rcp(self, name: str, policy: Document) -> None:
        """Adds or replaces a resource control policy (one level, every account)."""
        _check_kms(self._core.put_org_policy(name, "rcp", _document(policy, "policy")["text"]))


def _check_kms(result_json: str) -> None:
    r = json.loads(result_json)
    if not r.get("ok"):
        e = r.get("error", {})
        if "code" in e and e.get("code", "").endswith("Exception"):
            raise KmsError(e.get("message", ""), code=e["code"])
        raise KeywardError(e.get("message", "keyward failed"), field=e.get("field"))
