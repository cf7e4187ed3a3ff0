//! keyward-lint: Access Analyzer-class checks and KMS-specific security checks, offline.
//!
//! Pure like keyward-core (no I/O, no clock): the CLI and the WASM module call [`lint_text`]
//! and apply user configuration (severity overrides, disabled checks, allow-lists) on top of
//! the returned findings.

use keyward_core::diag::{Diagnostic, Severity};
use keyward_core::json::Limits;
use keyward_core::parse::{parse_document, DocKind};
use keyward_core::span::Span;
use serde::Serialize;

/// One finding: a parse diagnostic or a check result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable kebab-case code (see LINT.md), e.g. `invalid-action`.
    pub code: &'static str,
    /// Default severity (the CLI may override it from configuration).
    pub severity: Severity,
    /// One line, lower-case, no final period.
    pub message: String,
    /// Where in the linted text (byte offsets).
    pub span: Span,
    /// JSON path of the element, e.g. `Statement[2].Condition`.
    pub path: String,
    /// The suggested fix, in words, when there is one.
    pub fix: Option<String>,
}

impl From<Diagnostic> for Finding {
    fn from(d: Diagnostic) -> Finding {
        Finding {
            code: d.code,
            severity: d.severity,
            message: d.message,
            span: d.span,
            path: d.path,
            fix: None,
        }
    }
}

/// Static description of one check, for documentation and SARIF rule metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CheckInfo {
    /// The code findings carry.
    pub code: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// Short title, e.g. "Invalid action".
    pub title: &'static str,
    /// Access Analyzer issue code this mirrors, if any (e.g. `INVALID_ACTION`).
    pub access_analyzer: Option<&'static str>,
}

/// The result of linting one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The kind the document was linted as.
    pub kind: Option<DocKind>,
    /// True when the kind was inferred from the content.
    pub kind_inferred: bool,
    /// Findings, in source order.
    pub findings: Vec<Finding>,
}

/// Every check this crate can report.
pub fn checks() -> &'static [CheckInfo] {
    &[]
}

/// Lints one document (`kind` None: inferred from the content).
pub fn lint_text(text: &str, kind: Option<DocKind>) -> Report {
    let (_doc, inferred_kind, diags) = parse_document(text, kind, Limits::default());
    let mut findings: Vec<Finding> = diags.into_iter().map(Finding::from).collect();
    findings.sort_by_key(|f| (f.span.start, f.span.end));
    Report { kind: inferred_kind, kind_inferred: kind.is_none(), findings }
}
