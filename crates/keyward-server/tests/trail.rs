//! The CloudTrail recorder: the request path's hook records a call (a denial included) through
//! the queue into a file in CloudTrail's layout; files roll over by count; `close` writes what
//! is pending; no temporary file is left behind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use keyward_kms::{Caller, Config, Kms, Operation};
use keyward_server::trail::{call_kms, file_path, RequestMeta, Trail, TrailConfig};
use serde_json::{json, Value};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn records(p: &Path) -> Vec<Value> {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap()).read_to_string(&mut s).unwrap();
    serde_json::from_str::<Value>(&s).unwrap()["Records"].as_array().unwrap().clone()
}

/// A recorder writing files into a fresh directory, and a KMS with the default admin.
fn setup() -> (tempfile::TempDir, Trail, Kms) {
    let dir = tempfile::tempdir().unwrap();
    let trail =
        Trail::start(TrailConfig { dir: Some(dir.path().into()), ..TrailConfig::default() })
            .unwrap();
    let mut kms = Kms::in_memory(Box::new(rand_core::OsRng), Config::default());
    kms.seed_defaults().unwrap();
    (dir, trail, kms)
}

#[test]
fn the_hook_records_allowed_and_denied_calls() {
    let (dir, trail, mut kms) = setup();
    kms.record_service_events(true);
    let admin = Caller {
        principal: "arn:aws:iam::111122223333:user/admin".into(),
        now_ms: 1_767_225_600_000,
        source_ip: Some("127.0.0.1".into()),
        ..Caller::default()
    };
    let meta = RequestMeta {
        access_key: Some("AKIAEXAMPLE"),
        user_agent: Some("test/1"),
        request_id: "req-1",
    };
    let out =
        call_kms(Some(&trail), &mut kms, &admin, Operation::CreateKey, &json!({}), &meta).unwrap();
    let key = out["KeyMetadata"]["Arn"].as_str().unwrap().to_string();
    let bob = Caller { principal: "arn:aws:iam::111122223333:user/bob".into(), ..admin.clone() };
    let input = json!({"KeyId": key, "Plaintext": "c2VjcmV0LXBsYWludGV4dA=="});
    let e = call_kms(Some(&trail), &mut kms, &bob, Operation::Encrypt, &input, &meta).unwrap_err();
    assert_eq!(e.code.as_str(), "AccessDeniedException");
    // A deletion the KMS completes by itself is recorded before the call that let time pass.
    let arn = key.clone();
    call_kms(
        Some(&trail),
        &mut kms,
        &admin,
        Operation::ScheduleKeyDeletion,
        &json!({"KeyId": arn, "PendingWindowInDays": 7}),
        &meta,
    )
    .unwrap();
    let later = Caller { now_ms: admin.now_ms + 8 * 86_400_000, ..admin.clone() };
    call_kms(Some(&trail), &mut kms, &later, Operation::ListKeys, &json!({}), &meta).unwrap();
    assert!(trail.flush(Duration::from_secs(10)));
    let all = files(dir.path());
    // One file per day: the deletion is dated when it was due (day 8), the call on day 9.
    assert_eq!(all.len(), 3, "{all:?}");
    let later_recs: Vec<Value> = all[1..].iter().flat_map(|p| records(p)).collect();
    let names: Vec<&str> = later_recs.iter().map(|r| r["eventName"].as_str().unwrap()).collect();
    assert_eq!(names, ["DeleteKey", "ListKeys"]);
    assert_eq!(later_recs[0]["eventType"], "AwsServiceEvent");
    assert_eq!(later_recs[0]["resources"][0]["ARN"], key.as_str());
    let recs = records(&all[0]);
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[0]["eventName"], "CreateKey");
    assert_eq!(recs[0]["resources"][0]["ARN"], key.as_str());
    assert_eq!(recs[0]["userIdentity"]["accessKeyId"], "AKIAEXAMPLE");
    assert_eq!(recs[0]["requestID"], "req-1");
    assert_eq!(recs[1]["errorCode"], "AccessDenied");
    assert_eq!(recs[1]["sourceIPAddress"], "127.0.0.1");
    assert_eq!(recs[1]["userAgent"], "test/1");
    assert_ne!(recs[0]["eventID"], recs[1]["eventID"]);
    assert!(!std::fs::read_to_string(&all[0]).unwrap_or_default().contains("c2VjcmV0"));
    let want = file_path(dir.path(), "111122223333", "us-east-1", 1_767_225_600_000, "X");
    assert_eq!(all[0].parent(), want.parent(), "AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD");
    assert!(
        want.ends_with("111122223333_CloudTrail_us-east-1_20260101T0000Z_X.json.gz"),
        "{want:?}"
    );
    trail.close(Duration::from_secs(5));
}

#[test]
fn files_roll_over_by_count_and_close_writes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let trail = Trail::start(TrailConfig {
        dir: Some(dir.path().into()),
        roll_events: 3,
        ..TrailConfig::default()
    })
    .unwrap();
    for i in 0..7 {
        trail.record(json!({
            "eventTime": "2026-01-01T00:00:00Z", "awsRegion": "us-east-1",
            "recipientAccountId": "111122223333", "eventID": i,
        }));
    }
    trail.close(Duration::from_secs(10));
    let all = files(dir.path());
    let mut sizes: Vec<usize> = all.iter().map(|p| records(p).len()).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [1, 3, 3], "{all:?}");
    assert!(
        all.iter().all(|p| p.to_string_lossy().ends_with(".json.gz")),
        "no temporary file left: {all:?}"
    );
    assert_eq!(trail.dropped(), 0);
}

/// A writer that cannot keep up (here: stdout held by the test) never blocks `record`: the
/// records that do not fit are dropped and counted.
#[test]
fn a_full_queue_drops_and_counts_without_blocking() {
    let trail =
        Trail::start(TrailConfig { stdout: true, queue: 2, ..TrailConfig::default() }).unwrap();
    let held = std::io::stdout().lock();
    let start = std::time::Instant::now();
    for i in 0..10 {
        trail.record(json!({ "eventID": i }));
    }
    assert!(start.elapsed() < Duration::from_secs(2), "record blocked");
    let dropped = trail.dropped();
    assert!((7..=8).contains(&dropped), "dropped {dropped}");
    drop(held);
    assert!(trail.flush(Duration::from_secs(10)));
    trail.close(Duration::from_secs(5));
    assert_eq!(trail.dropped(), dropped);
}

/// A call made in another Region (the SigV4 scope's) is recorded in that Region, with the key
/// of that Region, in that Region's folder.
#[test]
fn calls_are_recorded_in_their_own_region() {
    let (dir, trail, mut kms) = setup();
    let west = Caller {
        principal: "arn:aws:iam::111122223333:user/admin".into(),
        now_ms: 1_767_225_600_000,
        region: Some("us-west-2".into()),
        ..Caller::default()
    };
    let meta = RequestMeta { access_key: None, user_agent: None, request_id: "r" };
    let out =
        call_kms(Some(&trail), &mut kms, &west, Operation::CreateKey, &json!({}), &meta).unwrap();
    let id = out["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    let input = json!({"KeyId": id, "Plaintext": "eA=="});
    call_kms(Some(&trail), &mut kms, &west, Operation::Encrypt, &input, &meta).unwrap();
    assert!(trail.flush(Duration::from_secs(10)));
    let all = files(dir.path());
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].to_string_lossy().contains("/CloudTrail/us-west-2/"), "{all:?}");
    let recs = records(&all[0]);
    assert_eq!(recs[1]["awsRegion"], "us-west-2");
    let arn = format!("arn:aws:kms:us-west-2:111122223333:key/{id}");
    assert_eq!(recs[1]["resources"][0]["ARN"], arn.as_str());
    assert!(recs[1]["additionalEventData"]["keyMaterialId"].is_string(), "{}", recs[1]);
    trail.close(Duration::from_secs(5));
}

#[test]
fn get_key_last_usage_names_the_event_of_the_last_cryptographic_call() {
    let (dir, trail, mut kms) = setup();
    let admin = Caller {
        principal: "arn:aws:iam::111122223333:user/admin".into(),
        now_ms: 1_767_225_600_000,
        ..Caller::default()
    };
    let meta = RequestMeta { access_key: None, user_agent: None, request_id: "req-2" };
    let call = |kms: &mut Kms, op, input: Value| {
        call_kms(Some(&trail), kms, &admin, op, &input, &meta).unwrap()
    };
    let key = call(&mut kms, Operation::CreateKey, json!({}))["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    // No cryptographic call yet: no last usage. Then an Encrypt, then a DescribeKey (not a
    // cryptographic operation, so not the last use).
    let before = call(&mut kms, Operation::GetKeyLastUsage, json!({"KeyId": key}));
    assert!(before["KeyLastUsage"].as_object().unwrap().is_empty(), "{before}");
    call(&mut kms, Operation::Encrypt, json!({"KeyId": key, "Plaintext": "aGk="}));
    call(&mut kms, Operation::DescribeKey, json!({"KeyId": key}));
    let usage = call(&mut kms, Operation::GetKeyLastUsage, json!({"KeyId": key}));
    trail.close(Duration::from_secs(10));
    let encrypt: Vec<Value> = files(dir.path())
        .iter()
        .flat_map(|f| records(f))
        .filter(|r| r["eventName"] == "Encrypt")
        .collect();
    assert_eq!(encrypt.len(), 1);
    assert_eq!(usage["KeyLastUsage"]["Operation"], "Encrypt");
    assert_eq!(usage["KeyLastUsage"]["CloudTrailEventId"], encrypt[0]["eventID"]);
}
