//! Prints each file's findings as `LINE:COL CODE [severity] message | path`, with the kind its
//! file name implies. Used to review fixtures before writing their `.expected` files.
fn main() {
    for p in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        let name = std::path::Path::new(&p).file_name().and_then(|n| n.to_str()).unwrap_or("");
        let kind = keyward_core::parse::DocKind::from_file_name(name);
        let r = keyward_lint::lint_text(&text, kind);
        let idx = keyward_core::span::LineIndex::new(&text);
        println!("== {p} ({:?})", r.kind.map(|k| k.name()));
        for f in r.findings {
            let lc = idx.line_col(f.span.start);
            println!(
                "{}:{} {} [{:?}] {} | {}",
                lc.line, lc.col, f.code, f.severity, f.message, f.path
            );
        }
    }
}
