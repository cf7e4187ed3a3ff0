//! `keyward explain --cloudtrail DIR_OR_FILE --state STATE`: the denied KMS events of a trail
//! (a directory of CloudTrail files as `keyward serve --cloudtrail` or CloudTrail itself writes
//! them, read recursively: `.json.gz` and `.json`, `Records` arrays or single events), each
//! decided again with the policies and grants of the local KMS's state directory (opened read
//! only, without the server's lock) and explained. Without `--state`, the policy files of the
//! flags are used, as for one event.

use super::cloudtrail::{build, decide_all, human, missing, policy_file_text, warn, Half, Inputs};
use super::report;
use crate::files;
use crate::output::HumanOrJson;
use keyward_aws::cloudtrail::{kms_events, DerivedEvent, Recorded};
use keyward_core::eval::{explain, Decision};
use keyward_kms::Kms;
use std::path::{Path, PathBuf};

/// The largest decompressed CloudTrail file read.
const MAX_TRAIL_BYTES: u64 = files::MAX_FILE_BYTES;

/// Opens the KMS state for reading: no lock, no writes, no seeding.
fn open_state(dir: &Path) -> Result<Kms, String> {
    let key = keyward_store::MasterKey::from_env().map_err(|e| format!("--state: {}", e.0))?;
    let store = keyward_store::SqliteStore::open_read_only(dir, key)
        .map_err(|e| format!("--state {}: {}", dir.display(), e.0))?;
    Kms::open(Box::new(store), Box::new(rand_core::OsRng), keyward_kms::Config::default())
        .map_err(|e| format!("--state {}: {}", dir.display(), e.0))
}

/// One KMS event found: the file, its number among the file's KMS events, the event.
struct Found {
    path: PathBuf,
    number: usize,
    event: DerivedEvent,
}

/// Reads every KMS event of the files under `input`. A file that cannot be read, or whose
/// JSON is broken, is an error naming it (`file:line:col`; for `.gz` files, in the
/// decompressed text); files without KMS events are passed over.
fn read_all(input: &Path) -> Result<(Vec<Found>, usize), String> {
    let paths = if input.is_dir() {
        files::expand(&[input.to_path_buf()], &["gz", "json"])?
            .into_iter()
            // Temporary files of a writer (`.NAME.tmp`) never match; hidden files are skipped.
            .filter(|p| !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')))
            .collect()
    } else {
        vec![input.to_path_buf()]
    };
    let mut found = Vec::new();
    for p in &paths {
        let text = files::read_maybe_gz(p, MAX_TRAIL_BYTES)?;
        let shown = if p.extension().is_some_and(|e| e == "gz") {
            PathBuf::from(format!("{} (decompressed)", p.display()))
        } else {
            p.clone()
        };
        let (events, diags) = kms_events(&text);
        let no_kms = events.is_empty()
            && diags.len() == 1
            && diags.iter().all(|d| d.message.contains("is a KMS event"));
        if no_kms && input.is_dir() {
            continue;
        }
        report(&shown, &text, &diags)?;
        warn(&shown, &text, &diags);
        found.extend(events.into_iter().enumerate().map(|(n, event)| Found {
            path: p.clone(),
            number: n + 1,
            event,
        }));
    }
    Ok((found, paths.len()))
}

/// Decides every authorization of the event with the state's policies for it.
fn decide_with_state(kms: &Kms, ev: &mut DerivedEvent) -> (Vec<Half>, Vec<String>, Vec<String>) {
    let time = ev.event_time.as_deref().and_then(keyward_core::model::parse_date).unwrap_or(0);
    let key = ev.access_key_id.as_deref();
    let first = kms.state_inputs(&ev.principal, &ev.resource, key, time);
    if let Some(k) = &first.key {
        ev.call.key = k.clone();
        ev.unknown.retain(|u| !u.starts_with("kms:KeySpec") && !u.starts_with("key tags"));
    }
    if !first.principal_tags.is_empty() || first.used.iter().any(|u| u.contains("identity polic")) {
        ev.call.principal_tags.clone_from(&first.principal_tags);
        ev.unknown.retain(|u| !u.starts_with("principal tags"));
    }
    if first.set.session.is_some() {
        ev.unknown.retain(|u| !u.starts_with("the session policy"));
    }
    let used = first.used.clone();
    let missing = first.missing.clone();
    let label =
        format!("{} on {}", ev.action, if ev.account_level { "the account" } else { "the key" });
    let mut halves = vec![Half {
        label,
        action: ev.action.clone(),
        resource: ev.resource.clone(),
        explanation: explain(&first.set, &ev.call.request(ev.principal.clone())),
    }];
    for c in &ev.also {
        let inputs = kms.state_inputs(&ev.principal, &c.resource, key, time);
        let mut call = c.call.clone();
        if let Some(k) = inputs.key {
            call.key = k;
        }
        call.principal_tags.clone_from(&inputs.principal_tags);
        halves.push(Half {
            label: c.label.clone(),
            action: c.action.clone(),
            resource: c.resource.clone(),
            explanation: explain(&inputs.set, &call.request(ev.principal.clone())),
        });
    }
    (halves, used, missing)
}

pub(crate) fn run(i: &Inputs) -> Result<u8, String> {
    let kms = i.state.as_deref().map(open_state).transpose()?;
    let (found, files_read) = read_all(&i.event)?;
    let total = found.len();
    let chosen: Vec<Found> = match &i.event_id {
        Some(id) => {
            let hit: Vec<Found> =
                found.into_iter().filter(|f| f.event.event_id.as_deref() == Some(id)).collect();
            if hit.is_empty() {
                return Err(format!(
                    "--event `{id}`: no KMS event with that eventID in {}",
                    i.event.display()
                ));
            }
            hit
        }
        None => found
            .into_iter()
            .filter(|f| matches!(f.event.recorded, Recorded::AccessDenied { .. }))
            .collect(),
    };
    if chosen.is_empty() {
        if i.format == HumanOrJson::Json {
            println!("[]");
        } else {
            println!(
                "no denied KMS events among the {total} KMS event(s) of {files_read} file(s) in {}",
                i.event.display()
            );
        }
        return Ok(0);
    }
    let mut code = 0;
    let mut json = Vec::new();
    let count = chosen.len();
    for (n, mut f) in chosen.into_iter().enumerate() {
        let (halves, used, state_missing) = match &kms {
            Some(k) => decide_with_state(k, &mut f.event),
            None => {
                let (set, used) = build(i, &mut f.event)?;
                (decide_all(&set, &f.event, &|p| policy_file_text(i, p)), used, Vec::new())
            }
        };
        let ev = &f.event;
        let main = halves.iter().find(|h| h.explanation.decision != Decision::Allow);
        let Some(main) = main.or(halves.first()) else { continue };
        let decision = main.explanation.decision;
        let matches = match &ev.recorded {
            Recorded::Success => Some(decision == Decision::Allow),
            Recorded::AccessDenied { .. } => Some(decision != Decision::Allow),
            Recorded::OtherError { .. } => None,
        };
        let mut probably_missing = state_missing;
        if matches == Some(false) && kms.is_none() {
            probably_missing.extend(missing(i, ev, &main.explanation));
        } else if matches == Some(false) {
            probably_missing.push(
                "a policy or grant that has changed since the event (the state is read as it is now)"
                    .into(),
            );
        }
        if decision != Decision::Allow {
            code = 1;
        }
        if i.format == HumanOrJson::Json {
            json.push(serde_json::json!({
                "file": f.path.display().to_string(),
                "record": f.number,
                "event": ev,
                "inputs": used,
                "decision": decision,
                "recorded": ev.recorded,
                "matches_recorded": matches,
                "probably_missing": probably_missing,
                "explanation": main.explanation,
            }));
        } else {
            if n > 0 {
                println!();
            }
            println!("== {} of {count}: {}, KMS event {} ==", n + 1, f.path.display(), f.number);
            print!("{}", human(ev, 1, &used, &halves, matches, &probably_missing));
        }
    }
    if i.format == HumanOrJson::Json {
        println!("{}", serde_json::to_string_pretty(&json).unwrap_or_default());
    }
    Ok(code)
}
