"""Type stubs of the keyward package (the public API; see __init__.py for the docs)."""

import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union

__version__: str

Document = Union[str, os.PathLike[str], Mapping[str, Any], Sequence[Any], bytes]
Paths = Union[str, os.PathLike[str], Iterable[Union[str, os.PathLike[str]]]]

class KeywardError(Exception):
    message: str
    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    code: Optional[str]
    field: Optional[str]
    diagnostics: List[Dict[str, Any]]
    def __init__(self, message: str, *, file: Optional[str] = ..., line: Optional[int] = ...,
                 column: Optional[int] = ..., code: Optional[str] = ..., field: Optional[str] = ...,
                 diagnostics: Sequence[Dict[str, Any]] = ...) -> None: ...
    @property
    def location(self) -> Optional[str]: ...

class KmsError(KeywardError):
    aws_message: str
    explanation: Optional[Explanation]
    def __init__(self, message: str, *, code: str, explanation: Optional[Explanation] = ...) -> None: ...

@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    path: str
    fix: Optional[str] = ...
    @property
    def location(self) -> str: ...

@dataclass
class LintReport:
    findings: List[Finding]
    files: List[str]
    kinds: Dict[str, Optional[str]]
    @property
    def errors(self) -> List[Finding]: ...
    @property
    def ok(self) -> bool: ...
    def __iter__(self) -> Iterator[Finding]: ...
    def __len__(self) -> int: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def to_json(self, indent: Optional[int] = ...) -> str: ...

class Explanation:
    data: Dict[str, Any]
    human: str
    decision: str
    rule: str
    summary: str
    deciders: List[Dict[str, Any]]
    fixes: List[Dict[str, Any]]
    request: Dict[str, Any]
    trace: Dict[str, Any]
    @property
    def allowed(self) -> bool: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def to_json(self, indent: Optional[int] = ...) -> str: ...

@dataclass
class CloudTrailReport:
    event: Dict[str, Any]
    decision: str
    recorded: Any
    matches_recorded: Optional[bool]
    explanation: Explanation
    def to_json(self, indent: Optional[int] = ...) -> str: ...

@dataclass(frozen=True)
class CaseResult:
    file: str
    line: int
    column: int
    name: str
    expected: str
    actual: str
    passed: bool
    trace: Optional[str] = ...
    @property
    def location(self) -> str: ...

@dataclass
class TestReport:
    cases: List[CaseResult]
    @property
    def passed(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def failures(self) -> List[CaseResult]: ...
    @property
    def ok(self) -> bool: ...

@dataclass(frozen=True)
class DataKey:
    plaintext: bytes
    ciphertext: bytes
    key_id: str

def lint(text_or_path: Document, kind: str = ...) -> LintReport: ...
def checks() -> List[Dict[str, Any]]: ...
def explain_bundle(bundle: Union[str, Mapping[str, Any]]) -> Dict[str, Any]: ...
def explain_service_call(bundle: Union[str, Mapping[str, Any]]) -> Dict[str, Any]: ...
def explain(principal: str, action: str, *, key_policy: Optional[Document] = ...,
            resource_policy: Optional[Document] = ...,
            identity_policies: Union[None, Document, Iterable[Document]] = ...,
            grants: Optional[Document] = ..., scps: Union[None, Document, Iterable[Document]] = ...,
            rcps: Union[None, Document, Iterable[Document]] = ..., boundary: Optional[Document] = ...,
            session_policy: Optional[Document] = ..., key: Optional[str] = ..., alias: Optional[str] = ...,
            resource: Optional[str] = ..., encryption_context: Optional[Mapping[str, str]] = ...,
            via_service: Optional[str] = ..., context: Optional[Mapping[str, Any]] = ...,
            principal_tags: Optional[Mapping[str, str]] = ..., time: Optional[str] = ...,
            region: Optional[str] = ...) -> Explanation: ...
def explain_cloudtrail(event: Document, *, key_policy: Document, account_export: Optional[Document] = ...,
                       identity_policies: Union[None, Document, Iterable[Document]] = ...,
                       grants: Optional[Document] = ..., scps: Union[None, Document, Iterable[Document]] = ...,
                       rcps: Union[None, Document, Iterable[Document]] = ..., boundary: Optional[Document] = ...,
                       session_policy: Optional[Document] = ..., event_id: Optional[str] = ...) -> CloudTrailReport: ...
def is_scenario_text(text: str, yaml: bool) -> bool: ...
def run_scenario_file(path: Union[str, os.PathLike[str]]) -> List[CaseResult]: ...
def test(paths: Paths) -> TestReport: ...

class Kms:
    caller: str
    def __init__(self, region: Optional[str] = ..., *, caller: Optional[str] = ...,
                 clock: Optional[Callable[[], int]] = ...) -> None: ...
    @staticmethod
    def operations() -> List[str]: ...
    def call(self, operation: str, request: Optional[Mapping[str, Any]] = ..., *, caller: Optional[str] = ...,
             source_ip: Optional[str] = ..., via_service: Optional[str] = ..., mfa_age_s: Optional[int] = ...,
             source_vpce: Optional[str] = ..., session_policy: Optional[Document] = ...) -> Dict[str, Any]: ...
    def create_key(self, description: Optional[str] = ..., *, key_spec: Optional[str] = ...,
                   key_usage: Optional[str] = ..., policy: Optional[Document] = ...,
                   tags: Optional[Mapping[str, str]] = ..., caller: Optional[str] = ...) -> Dict[str, Any]: ...
    def describe_key(self, key_id: str, *, caller: Optional[str] = ...) -> Dict[str, Any]: ...
    def create_alias(self, alias_name: str, target_key_id: str, *, caller: Optional[str] = ...) -> None: ...
    def encrypt(self, key_id: str, plaintext: Union[bytes, str],
                encryption_context: Optional[Mapping[str, str]] = ..., *, caller: Optional[str] = ...) -> bytes: ...
    def decrypt(self, ciphertext: bytes, encryption_context: Optional[Mapping[str, str]] = ..., *,
                key_id: Optional[str] = ..., caller: Optional[str] = ...) -> bytes: ...
    def generate_data_key(self, key_id: str, key_spec: str = ...,
                          encryption_context: Optional[Mapping[str, str]] = ..., *,
                          caller: Optional[str] = ...) -> DataKey: ...
    def put_identity(self, arn: str, policies: Optional[Mapping[str, Document]] = ...,
                     boundary: Optional[Document] = ...) -> None: ...
    def put_scp(self, name: str, policy: Document) -> None: ...
    def put_rcp(self, name: str, policy: Document) -> None: ...
