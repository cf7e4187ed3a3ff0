//! Output pieces shared by the commands: the `--format` choices (clap `ValueEnum`s) and CSV
//! quoting.

/// `--format human|json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum HumanOrJson {
    /// For people.
    Human,
    /// One JSON document.
    Json,
}

/// `--format table|json|csv` (who-can).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TableFormat {
    /// An aligned table.
    Table,
    /// A JSON array of rows.
    Json,
    /// CSV with a header line.
    Csv,
}

/// `--format csv|json` (access-matrix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LinesFormat {
    /// CSV with a header line.
    Csv,
    /// JSON Lines: one object per cell.
    Json,
}

/// Quotes a CSV field when needed.
pub(crate) fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
