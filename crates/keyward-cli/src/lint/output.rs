//! The `human`, `json` and `github` renderings of lint results (SARIF is in `sarif.rs`).

use super::source::{FileResult, Hit, Unit};
use keyward_core::diag::Severity;
use keyward_core::parse::DocKind;
use keyward_core::span::{LineCol, LineIndex};
use serde::Serialize;
use std::fmt::Write as _;

/// Start and end (exclusive) line:column of a hit.
pub(crate) fn region(idx: &LineIndex<'_>, h: &Hit) -> (LineCol, LineCol) {
    let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX - 1).min(u32::MAX - 1);
    let start = idx.line_col(clamp(h.start));
    let mut end = idx.line_col(clamp(h.end));
    if end.line < start.line || (end.line == start.line && end.col <= start.col) {
        end = LineCol { line: start.line, col: start.col + 1 };
    }
    (start, end)
}

/// rustc-style: header, `-->` location, the source line with carets, the JSON path, and the fix
/// as a `help:` line.
pub(crate) fn human(files: &[FileResult], out: &mut String) {
    for f in files {
        let idx = LineIndex::new(&f.text);
        for u in &f.units {
            if u.kind_inferred && !u.hits.is_empty() {
                if let Some(k) = u.kind {
                    let _ = writeln!(
                        out,
                        "note: {}: linted as a {} document (inferred from its content; use --kind to choose)",
                        f.display,
                        k.name()
                    );
                }
            }
            for h in &u.hits {
                render(out, &f.display, &idx, h);
            }
            for (at, msg) in &u.notes {
                let lc = idx.line_col(u32::try_from(*at).unwrap_or(u32::MAX - 1));
                let _ = writeln!(out, "note: {}:{}:{}: {msg}", f.display, lc.line, lc.col);
            }
        }
    }
}

fn render(out: &mut String, file: &str, idx: &LineIndex<'_>, h: &Hit) {
    let (start, end) = region(idx, h);
    let _ = writeln!(out, "{}[{}]: {}", h.severity.label(), h.code, h.message);
    let _ = writeln!(out, "  --> {file}:{}:{}", start.line, start.col);
    let text = idx.line_text(start.line);
    let gutter = start.line.to_string();
    let pad = " ".repeat(gutter.len());
    let caret_pad: String = text
        .chars()
        .take(start.col as usize - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let line_chars = text.chars().count() as u32;
    let width = if end.line == start.line {
        end.col.saturating_sub(start.col).max(1)
    } else {
        (line_chars + 1).saturating_sub(start.col).max(1)
    };
    let _ = write!(
        out,
        "{pad} |\n{gutter} | {text}\n{pad} | {caret_pad}{}",
        "^".repeat(width as usize)
    );
    if !h.path.is_empty() {
        let _ = write!(out, " at {}", h.path);
    }
    out.push('\n');
    if let Some(fix) = &h.fix {
        let _ = writeln!(out, "{pad} = help: {fix}");
    }
    out.push('\n');
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "ERROR",
        Severity::SecurityWarning => "SECURITY_WARNING",
        Severity::Warning => "WARNING",
        Severity::Suggestion => "SUGGESTION",
    }
}

/// One entry of `--format json`: a linted document. Fields are in alphabetical order, the
/// order the output has always had (it was a `serde_json::Value`, whose maps sort their keys).
#[derive(Serialize)]
pub(crate) struct UnitJson<'r> {
    diagnostics: Vec<DiagJson<'r>>,
    document: Option<&'r str>,
    file: &'r str,
    kind: Option<&'static str>,
    kind_inferred: bool,
    notes: Vec<NoteJson<'r>>,
}

/// One finding of `--format json` (fields in alphabetical order).
#[derive(Serialize)]
struct DiagJson<'r> {
    code: &'static str,
    column: u32,
    end_column: u32,
    end_line: u32,
    fix: Option<&'r str>,
    line: u32,
    message: &'r str,
    path: &'r str,
    severity: &'static str,
    sid: Option<&'r str>,
}

/// One note of `--format json` (fields in alphabetical order).
#[derive(Serialize)]
struct NoteJson<'r> {
    column: u32,
    line: u32,
    message: &'r str,
}

/// One entry per linted document: file, document label, kind and diagnostics (serialized
/// straight from the results, without building a JSON tree first).
pub(crate) fn json(files: &[FileResult]) -> Vec<UnitJson<'_>> {
    let mut entries = Vec::new();
    for f in files {
        let idx = LineIndex::new(&f.text);
        for u in &f.units {
            entries.push(unit_json(&f.display, &idx, u));
        }
    }
    entries
}

fn unit_json<'r>(file: &'r str, idx: &LineIndex<'_>, u: &'r Unit) -> UnitJson<'r> {
    let diagnostics = u
        .hits
        .iter()
        .map(|h| {
            let (s, e) = region(idx, h);
            DiagJson {
                code: h.code,
                column: s.col,
                end_column: e.col,
                end_line: e.line,
                fix: h.fix.as_deref(),
                line: s.line,
                message: &h.message,
                path: &h.path,
                severity: severity_name(h.severity),
                sid: h.sid.as_deref(),
            }
        })
        .collect();
    let notes = u
        .notes
        .iter()
        .map(|(at, msg)| {
            let lc = idx.line_col(u32::try_from(*at).unwrap_or(u32::MAX - 1));
            NoteJson { column: lc.col, line: lc.line, message: msg }
        })
        .collect();
    UnitJson {
        diagnostics,
        document: u.label.as_deref(),
        file,
        kind: u.kind.map(DocKind::name),
        kind_inferred: u.kind_inferred,
        notes,
    }
}

/// GitHub Actions workflow commands (`::error file=F,line=L,col=C,title=CODE::message`).
pub(crate) fn github(files: &[FileResult], out: &mut String) {
    for f in files {
        let idx = LineIndex::new(&f.text);
        let file = gh_property(f.display.strip_prefix("./").unwrap_or(&f.display));
        for (at, msg) in f.units.iter().flat_map(|u| &u.notes) {
            let lc = idx.line_col(u32::try_from(*at).unwrap_or(u32::MAX - 1));
            let _ = writeln!(
                out,
                "::notice file={file},line={},col={},title=keyward::{}",
                lc.line,
                lc.col,
                gh_data(msg)
            );
        }
        for h in f.units.iter().flat_map(|u| &u.hits) {
            let (s, e) = region(&idx, h);
            let level = match h.severity {
                Severity::Error | Severity::SecurityWarning => "error",
                Severity::Warning => "warning",
                Severity::Suggestion => "notice",
            };
            let mut msg = format!("{}: {}", h.severity.label(), h.message);
            if !h.path.is_empty() {
                let _ = write!(msg, " (at {})", h.path);
            }
            if let Some(fix) = &h.fix {
                let _ = write!(msg, "\nhelp: {fix}");
            }
            let _ = writeln!(
                out,
                "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                gh_property(f.display.strip_prefix("./").unwrap_or(&f.display)),
                s.line,
                s.col,
                e.line,
                e.col,
                gh_property(h.code),
                gh_data(&msg)
            );
        }
    }
}

/// Escapes a workflow-command message.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow-command property value.
fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escapes() {
        assert_eq!(gh_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(gh_property("x:y,z"), "x%3Ay%2Cz");
    }
}
