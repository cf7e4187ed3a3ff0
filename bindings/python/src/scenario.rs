//! `keyward.test(...)` and the pytest plugin: one scenario file run by `keyward_bundle`'s
//! scenario runner (the playground's), with the files it names read relative to it.

use serde_json::Value;
use std::path::Path;

/// Loads and runs one scenario file (keyward_bundle's JSON: cases with positions, failing
/// cases with their trace).
pub(crate) fn run(text: &str, file: &str, yaml: bool) -> Value {
    let dir = Path::new(file).parent().map(Path::to_path_buf).unwrap_or_default();
    let resolve = |rel: &str| {
        let p = dir.join(rel);
        std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    keyward_bundle::scenario::run(text, yaml, &resolve)
}
