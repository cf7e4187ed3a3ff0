//! `keyward-diff`: runs generated worlds through keyward and iam-simulate and compares them.
//!
//! ```text
//! keyward-diff --node-script tests/differential/simulate.mjs [--cases N] [--seed S]
//!              [--save DIR] [--bench N]
//! ```
//! Needs `IAM_SIMULATE_DIR` (where iam-simulate is installed; `run.sh` sets it). Prints counts
//! per verdict and exits 1 if any disagreement is unexplained. `--save DIR` writes each
//! unexplained world (up to 50) as a scenario file. `--bench N` instead measures decisions per
//! second of both evaluators on N generated requests.

use keyward_core::eval::decide;
use keyward_scenario::{build_case, load};
use keyward_testing::harness::{classify, keyward_side, sim_line, Verdict};
use keyward_testing::world::generate;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

struct Args {
    cases: u64,
    seed: u64,
    script: String,
    save: Option<String>,
    bench: Option<u64>,
}

fn args() -> Result<Args, String> {
    let mut a = Args { cases: 1000, seed: 1, script: String::new(), save: None, bench: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--cases" => a.cases = val()?.parse().map_err(|e| format!("--cases: {e}"))?,
            "--seed" => a.seed = val()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--node-script" => a.script = val()?,
            "--save" => a.save = Some(val()?),
            "--bench" => a.bench = Some(val()?.parse().map_err(|e| format!("--bench: {e}"))?),
            _ => return Err(format!("unknown flag `{flag}`")),
        }
    }
    if a.script.is_empty() {
        return Err("--node-script is required".into());
    }
    Ok(a)
}

fn main() -> ExitCode {
    match args().and_then(|a| if a.bench.is_some() { bench(&a) } else { run(&a) }) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("keyward-diff: {e}");
            ExitCode::from(2)
        }
    }
}

/// Streams `lines` to the node script and returns its answer lines, in order.
fn node_round_trip(script: &str, lines: Vec<String>) -> Result<Vec<Value>, String> {
    let mut child = Command::new("node")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start node: {e}"))?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        let mut w = BufWriter::new(stdin);
        for l in lines {
            w.write_all(l.as_bytes())?;
            w.write_all(b"\n")?;
        }
        w.flush()
    });
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut out = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading node output: {e}"))?;
        out.push(serde_json::from_str(&line).map_err(|e| format!("node output `{line}`: {e}"))?);
    }
    writer.join().map_err(|_| "writer thread panicked")?.map_err(|e| e.to_string())?;
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("node exited with {status}"));
    }
    Ok(out)
}

fn run(a: &Args) -> Result<bool, String> {
    let mut worlds = Vec::new();
    let mut lines = Vec::new();
    for i in 0..a.cases {
        let seed = a.seed.wrapping_add(i);
        let w = generate(seed);
        let k = keyward_side(&w).map_err(|e| format!("seed {seed}: keyward cannot load: {e}"))?;
        lines.push(sim_line(i, &w, &k).to_string());
        worlds.push((w, k));
    }
    let answers = node_round_trip(&a.script, lines)?;
    if answers.len() != worlds.len() {
        return Err(format!("{} answers for {} cases", answers.len(), worlds.len()));
    }
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut unexplained = 0u64;
    let mut saved = 0;
    for ((w, k), ans) in worlds.iter().zip(&answers) {
        let v = classify(w, k, ans);
        let label = match &v {
            Verdict::Agree => "agree".to_string(),
            Verdict::Known(id) => format!("known departure {id}"),
            Verdict::KeywardBug(id) => format!("known keyward bug {id}"),
            Verdict::Unexplained(why) => {
                unexplained += 1;
                if unexplained <= 10 {
                    eprintln!("unexplained: seed {}: {why}", w.seed);
                }
                if let Some(dir) = &a.save {
                    if saved < 50 {
                        saved += 1;
                        let path = format!("{dir}/seed-{}.json", w.seed);
                        let text = serde_json::to_string_pretty(&json!({
                            "scenario": w.scenario_json(k.decision.name()),
                            "why": why, "iam_simulate_input": w.sim_json(k.context.clone(), false)}))
                        .map_err(|e| e.to_string())?;
                        std::fs::write(&path, text).map_err(|e| format!("{path}: {e}"))?;
                    }
                }
                "unexplained".to_string()
            }
        };
        *counts.entry(label).or_default() += 1;
    }
    let agree = counts.get("agree").copied().unwrap_or(0);
    let known: u64 =
        counts.iter().filter(|(k, _)| k.starts_with("known departure")).map(|(_, v)| v).sum();
    let bugs: u64 =
        counts.iter().filter(|(k, _)| k.starts_with("known keyward bug")).map(|(_, v)| v).sum();
    println!("differential: {} cases (seeds {}..{})", a.cases, a.seed, a.seed + a.cases);
    for (k, v) in &counts {
        println!("  {k:<48} {v}");
    }
    println!(
        "{} passed, {} failed: {} agreed, {} known departures, {} known keyward bugs, {} unexplained",
        agree + known + bugs,
        unexplained,
        agree,
        known,
        bugs,
        unexplained
    );
    Ok(unexplained == 0)
}

fn bench(a: &Args) -> Result<bool, String> {
    let n = a.bench.unwrap_or(100).max(1);
    let reps = 20u64;
    let mut lines = Vec::new();
    let mut cases = Vec::new();
    for i in 0..n {
        let w = generate(a.seed.wrapping_add(i));
        let k = keyward_side(&w)?;
        let text = w.scenario_json("Allow").to_string();
        let s = load(&text, false, &|p| Err(format!("no file `{p}`"))).map_err(|_| "load")?;
        let case = s.cases.first().ok_or("no case")?;
        cases.push(build_case(&s, case)?);
        let mut line = sim_line(i, &w, &k);
        line["bench"] = json!(true);
        line["n"] = json!(reps);
        lines.push(line.to_string());
    }
    let t0 = Instant::now();
    let mut allow = 0u64;
    let rounds = 2000u64;
    for _ in 0..rounds {
        for (set, req) in &cases {
            allow += u64::from(decide(set, req) == keyward_core::eval::Decision::Allow);
        }
    }
    let kw_dps = (rounds * n) as f64 / t0.elapsed().as_secs_f64();
    let answers = node_round_trip(&a.script, lines)?;
    let ns: f64 = answers.iter().filter_map(|v| v["ns"].as_f64()).sum();
    let sim_dps = (reps * n) as f64 / (ns / 1e9);
    println!("keyward_decisions_per_s {kw_dps:.0}");
    println!("iam_simulate_decisions_per_s {sim_dps:.0}");
    println!("allowed {allow}");
    Ok(true)
}
