//! Terraform source (`.tf`) for lint: lints the policy documents `keyward_aws::hcl`
//! finds, each finding placed in the `.tf` text, with the placeholders' notes; a file that is
//! not valid HCL is one `hcl-syntax` error at its position.

use super::span::{Seg, SpanMap};
use super::{lint_doc, Doc, Hit, Unit};
use crate::hcl;
use keyward_core::diag::Severity;
use std::borrow::Cow;

/// True for a `.tf` file name or path.
pub fn is_source(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(_, e)| e.eq_ignore_ascii_case("tf"))
}

/// Lints every policy document of a `.tf` file.
pub fn lint(text: &str) -> Vec<Unit> {
    let file = match hcl::read(text) {
        Ok(f) => f,
        Err(d) => {
            let at = d.span.start as usize;
            let hit = Hit {
                code: hcl::SYNTAX,
                severity: Severity::Error,
                message: d.message,
                start: at,
                end: at,
                path: String::new(),
                inner_path: String::new(),
                sid: None,
                fix: None,
            };
            return vec![Unit::new(None, None, vec![hit])];
        }
    };
    let mut units = Vec::new();
    for d in file.documents {
        let notes: Vec<(usize, String)> = d.notes.into_iter().map(note).collect();
        let doc = Doc {
            label: Some(d.label),
            kind: d.kind,
            text: Cow::Owned(d.text),
            map: SpanMap::Table(
                d.segments
                    .iter()
                    .map(|&(inner, outer, exact)| Seg { inner, outer, exact })
                    .collect(),
            ),
            pos: d.pos,
        };
        let mut unit = lint_doc(&doc, d.kind.is_none(), &notes);
        if doc.label.as_deref().is_some_and(|l| l.ends_with(".assume_role_policy")) {
            // A role trust policy is linted as a resource policy (keyward has no trust-policy
            // kind), but it has no Resource element.
            unit.hits.retain(|h| h.code != "missing-resource");
        }
        units.push(unit);
    }
    if !file.unread.is_empty() {
        let mut u = Unit::new(None, None, Vec::new());
        u.notes = file.unread.into_iter().map(note).collect();
        units.push(u);
    }
    units
}

fn note(n: hcl::Note) -> (usize, String) {
    (n.span.start as usize, n.message)
}
