//! Tidy: the architecture invariants that a compiler does not check, checked on every test run.
//!
//! - every Rust source file opens with a `//!` line saying what it is for;
//! - shipped source files stay under `MAX_LINES` lines;
//! - the pure crates (`PURE`) use no file system, environment, clock or OS randomness in `src/`;
//! - the pure crates' dependency graph for wasm32 holds no native-only crate and no native
//!   workspace crate;
//! - every crate takes the workspace lints;
//! - ARCHITECTURE.md's code map names every shipped source file.
//!
//! Each check collects every violation and fails once with the whole list.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Crates that must build for wasm32 and do no I/O. `scripts/test` builds them for wasm32.
const PURE: &[&str] = &[
    "keyward-core",
    "keyward-lint",
    "keyward-kms",
    "keyward-iam",
    "keyward-aws",
    "keyward-scenario",
    "keyward-access",
    "keyward-bundle",
];

/// Workspace crates that do I/O; a pure crate must not depend on them.
const NATIVE_WORKSPACE: &[&str] =
    &["keyward-store", "keyward-server", "keyward-cli", "keyward-testing", "keyward-wasm"];

/// Crates that need an operating system (sockets, threads' runtime, files, SQLite, OS entropy).
const NATIVE_ONLY: &[&str] = &[
    "tokio",
    "mio",
    "socket2",
    "hyper",
    "hyper-util",
    "rusqlite",
    "libsqlite3-sys",
    "fs4",
    "tempfile",
    "nix",
    "rustix",
    "clap",
];

/// Identifiers that mean I/O, the environment, the clock or OS randomness. (`std::net`'s address
/// types and `std::thread::scope` are pure computation and allowed: the envelope format seals
/// chunks on scoped threads where the platform has them and on one thread in WASM.)
const IMPURE_TOKENS: &[&str] = &[
    "std::fs",
    "std::env",
    "TcpStream",
    "TcpListener",
    "UdpSocket",
    "std::process",
    "SystemTime",
    "Instant",
    "OsRng",
    "thread_rng",
    "getrandom",
    "println!",
    "eprintln!",
];

/// Shipped source files stay readable in one sitting.
const MAX_LINES: usize = 800;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".")).to_path_buf()
}

/// Every `.rs` file under `dir`, skipping build outputs and node packages.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if !matches!(name.as_str(), "target" | "node_modules" | "pkg-web" | "pkg-node") {
                    stack.push(p);
                }
            } else if ft.is_file() && name.ends_with(".rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

/// Source trees that hold Rust code of the project.
fn all_sources() -> Vec<PathBuf> {
    ["crates", "wasm", "tests", "fuzz", "bindings"]
        .iter()
        .flat_map(|d| rust_files(&root().join(d)))
        .collect()
}

/// `(crate directory, package name)` for every workspace crate with a `Cargo.toml`.
fn crate_dirs() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = fs::read_dir(root().join("crates"))
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    dirs.push(root().join("wasm"));
    dirs.push(root().join("tests"));
    dirs.sort();
    for d in dirs {
        let Ok(toml) = fs::read_to_string(d.join("Cargo.toml")) else { continue };
        let name = toml
            .lines()
            .find_map(|l| l.trim().strip_prefix("name = "))
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_default();
        out.push((d, name));
    }
    out
}

/// The text with `//` comments removed (doc comments may name what the code must not use).
fn code_only(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            // Keep `//` inside a string literal such as a URL: only cut when the quotes before it
            // are balanced.
            Some(i) if l[..i].matches('"').count() % 2 == 0 => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn fail_with(what: &str, problems: &[String]) {
    assert!(problems.is_empty(), "{what}:\n  {}", problems.join("\n  "));
}

#[test]
fn every_source_file_says_what_it_is_for() {
    let mut problems = Vec::new();
    for f in all_sources() {
        let text = fs::read_to_string(&f).unwrap_or_default();
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if !first.starts_with("//!") {
            problems.push(format!("{}: first line is not a `//!` comment", rel(&f)));
        }
    }
    fail_with("files without their `//!` line", &problems);
}

#[test]
fn shipped_source_files_stay_short() {
    let mut problems = Vec::new();
    for (dir, _) in crate_dirs() {
        for f in rust_files(&dir.join("src")) {
            let n = fs::read_to_string(&f).unwrap_or_default().lines().count();
            if n > MAX_LINES {
                problems.push(format!("{}: {n} lines (limit {MAX_LINES}): split it", rel(&f)));
            }
        }
    }
    fail_with("source files over the size limit", &problems);
}

#[test]
fn pure_crates_do_no_io() {
    let mut problems = Vec::new();
    let dirs = crate_dirs();
    for name in PURE {
        let Some((dir, _)) = dirs.iter().find(|(_, n)| n == name) else {
            problems.push(format!("pure crate {name} not found under crates/"));
            continue;
        };
        for f in rust_files(&dir.join("src")) {
            let code = code_only(&fs::read_to_string(&f).unwrap_or_default());
            for (i, line) in code.lines().enumerate() {
                for tok in IMPURE_TOKENS {
                    if contains_token(line, tok) {
                        problems.push(format!("{}:{}: uses `{tok}`", rel(&f), i + 1));
                    }
                }
            }
        }
    }
    fail_with("pure crates must take time, randomness and files from their caller", &problems);
}

/// `tok` occurs in `line` not as part of a longer identifier.
fn contains_token(line: &str, tok: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(tok).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + tok.len()..].chars().next();
        let starts_clean = !before.is_some_and(ident);
        let ends_clean = tok.ends_with('!') || !after.is_some_and(ident);
        starts_clean && ends_clean
    })
}

#[test]
fn tokens_are_matched_as_identifiers() {
    assert!(contains_token("use std::fs;", "std::fs"));
    assert!(contains_token("let t = Instant::now();", "Instant"));
    assert!(!contains_token("let instant_ms = 3;", "Instant"));
    assert!(!contains_token("struct KeyInstant;", "Instant"));
    assert!(!contains_token("use std::fsx;", "std::fs"));
    assert_eq!(code_only("let a = 1; // std::fs is not used"), "let a = 1; ");
    assert_eq!(code_only("let u = \"https://x\";"), "let u = \"https://x\";");
}

#[test]
fn pure_crates_have_no_native_dependency() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(["--filter-platform", "wasm32-unknown-unknown"])
        .current_dir(root())
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o.stdout,
        Ok(o) => panic!("cargo metadata failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => panic!("cannot run cargo metadata: {e}"),
    };
    let meta: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
    // Package id -> name, and the resolved normal (non-dev, non-build) dependency graph.
    let mut names = BTreeMap::new();
    for p in meta["packages"].as_array().into_iter().flatten() {
        if let (Some(id), Some(name)) = (p["id"].as_str(), p["name"].as_str()) {
            names.insert(id.to_string(), name.to_string());
        }
    }
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for n in meta["resolve"]["nodes"].as_array().into_iter().flatten() {
        let id = n["id"].as_str().unwrap_or_default().to_string();
        let normal = n["deps"].as_array().into_iter().flatten().filter(|d| {
            d["dep_kinds"].as_array().into_iter().flatten().any(|k| k["kind"].is_null())
        });
        deps.insert(id, normal.filter_map(|d| d["pkg"].as_str().map(String::from)).collect());
    }
    let mut problems = Vec::new();
    for pure in PURE {
        let Some(start) = names.iter().find(|(_, n)| n == pure).map(|(id, _)| id.clone()) else {
            problems.push(format!("{pure}: not in cargo metadata"));
            continue;
        };
        // Walk the closure, remembering how each crate was reached.
        let mut seen = BTreeSet::new();
        let mut stack = vec![(start, pure.to_string())];
        while let Some((id, path)) = stack.pop() {
            if !seen.insert(id.clone()) {
                continue;
            }
            let name = names.get(&id).cloned().unwrap_or_default();
            if NATIVE_ONLY.contains(&name.as_str()) || NATIVE_WORKSPACE.contains(&name.as_str()) {
                problems.push(format!("{pure} reaches native-only `{name}` via {path}"));
            }
            for d in deps.get(&id).into_iter().flatten() {
                let dn = names.get(d).cloned().unwrap_or_default();
                stack.push((d.clone(), format!("{path} -> {dn}")));
            }
        }
    }
    fail_with("pure crates must build for wasm32 without an OS", &problems);
}

#[test]
fn every_crate_takes_the_workspace_lints() {
    let mut problems = Vec::new();
    for (dir, name) in crate_dirs() {
        let toml = fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
        let has = toml.split("[lints]").nth(1).is_some_and(|rest| {
            rest.lines()
                .take_while(|l| !l.starts_with('['))
                .any(|l| l.replace(' ', "") == "workspace=true")
        });
        if !has {
            problems.push(format!("{name}: Cargo.toml lacks `[lints] workspace = true`"));
        }
    }
    fail_with("crates outside the workspace lints", &problems);
}

#[test]
fn architecture_names_every_source_file() {
    let arch = fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap_or_default();
    let mut problems = Vec::new();
    for (dir, _) in crate_dirs() {
        for f in rust_files(&dir.join("src")) {
            let in_crate = f.strip_prefix(&dir).unwrap_or(&f).display().to_string();
            let file_name = f.file_name().map(|n| n.to_string_lossy().into_owned());
            // Named by crate- or workspace-relative path, by file name in a list of files, or through its
            // directory (`src/crypto/`).
            let mut named = arch.contains(&format!("`{in_crate}`"))
                || arch.contains(&format!("`{}`", rel(&f)))
                || file_name.is_some_and(|n| arch.contains(&format!("`{n}`")));
            let mut parent = Path::new(&in_crate).parent();
            while let Some(p) = parent.filter(|p| p.as_os_str().len() > 3) {
                named |= arch.contains(&format!("`{}/`", p.display()));
                parent = p.parent();
            }
            if !named {
                problems.push(format!("{} is not in ARCHITECTURE.md's code map", rel(&f)));
            }
        }
    }
    fail_with("ARCHITECTURE.md is out of date", &problems);
}

/// Normal (non-dev) dependencies between workspace crates, from `cargo metadata --no-deps`.
fn workspace_edges() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root())
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let meta: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
    let packages = meta["packages"].as_array().cloned().unwrap_or_default();
    let names: BTreeSet<String> =
        packages.iter().filter_map(|p| p["name"].as_str().map(String::from)).collect();
    let mut edges = BTreeMap::new();
    for p in &packages {
        let Some(name) = p["name"].as_str() else { continue };
        let deps = p["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["kind"].is_null())
            .filter_map(|d| d["name"].as_str().map(String::from))
            .filter(|d| names.contains(d))
            .collect();
        edges.insert(name.to_string(), deps);
    }
    edges
}

/// The edge table under `<!-- crate-edges -->` in ARCHITECTURE.md: `| `a` | `b`, `c` |` rows.
fn documented_edges(arch: &str) -> BTreeMap<String, BTreeSet<String>> {
    let names = |cell: &str| -> BTreeSet<String> {
        cell.split(',')
            .map(|s| s.trim().trim_matches('`').to_string())
            .filter(|s| s.starts_with("keyward"))
            .collect()
    };
    let Some(section) = arch.split("<!-- crate-edges -->").nth(1) else { return BTreeMap::new() };
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').collect();
            let krate = cells.first()?.trim().trim_matches('`');
            let deps = names(cells.get(1)?);
            krate.starts_with("keyward").then(|| (krate.to_string(), deps))
        })
        .collect()
}

#[test]
fn architecture_lists_every_crate_edge() {
    let arch = fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap_or_default();
    let real = workspace_edges();
    assert!(!real.is_empty(), "cargo metadata gave no packages");
    let documented = documented_edges(&arch);
    let mut problems = Vec::new();
    for (krate, deps) in &real {
        match documented.get(krate) {
            None => problems.push(format!("{krate}: no row in the crate-edge table")),
            Some(d) if d != deps => problems.push(format!(
                "{krate}: documented {:?}, Cargo.toml says {:?}",
                d.iter().collect::<Vec<_>>(),
                deps.iter().collect::<Vec<_>>()
            )),
            Some(_) => {}
        }
    }
    for krate in documented.keys().filter(|k| !real.contains_key(*k)) {
        problems.push(format!("{krate}: in the table but not in the workspace"));
    }
    fail_with("ARCHITECTURE.md's crate graph is out of date", &problems);
}
