//! Diagnostics: a stable code, a message, a span and a JSON path. See DIAGNOSTICS.md.

use crate::span::{LineIndex, Span};
use serde::Serialize;

/// How serious a diagnostic is. Parse problems are `Error`; lint findings use the other levels
/// (named after IAM Access Analyzer's finding types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    /// The document is invalid; AWS would reject it.
    Error,
    /// Valid, but likely grants more than intended.
    SecurityWarning,
    /// Valid, but probably not what was meant.
    Warning,
    /// Valid; could be simpler.
    Suggestion,
}

impl Severity {
    /// Lower-case label used in human output.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::SecurityWarning => "security warning",
            Severity::Warning => "warning",
            Severity::Suggestion => "suggestion",
        }
    }
}

/// One finding about a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable kebab-case code, e.g. `json-duplicate-key`.
    pub code: &'static str,
    /// How serious it is.
    pub severity: Severity,
    /// One line, lower-case, no final period.
    pub message: String,
    /// Where in the source.
    pub span: Span,
    /// JSON path of the element, e.g. `Statement[2].Condition.StringEquals`.
    pub path: String,
}

impl Diagnostic {
    /// An error-severity diagnostic.
    pub fn error(
        code: &'static str,
        span: Span,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
            path: path.into(),
        }
    }

    /// Renders rustc-style: `error[code]: message`, ` --> file:line:col`, the line and a caret.
    pub fn render(&self, file: &str, index: &LineIndex<'_>) -> String {
        let lc = index.line_col(self.span.start);
        let mut out = format!("{}[{}]: {}\n", self.severity.label(), self.code, self.message);
        out.push_str(&format!("  --> {}:{}:{}\n", file, lc.line, lc.col));
        if !self.span.is_synthetic() {
            let text = index.line_text(lc.line);
            let gutter = lc.line.to_string();
            let pad = " ".repeat(gutter.len());
            let caret_pad: String = text
                .chars()
                .take(lc.col as usize - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            out.push_str(&format!("{pad} |\n{gutter} | {text}\n{pad} | {caret_pad}^"));
            if !self.path.is_empty() {
                out.push_str(&format!(" at {}", self.path));
            }
            out.push('\n');
        }
        out
    }
}

/// True when any diagnostic is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}
