//! The CloudTrail recorder: every call's record (built by `keyward_kms::trail`) goes through a
//! bounded queue to a thread of its own, which writes them as CloudTrail delivers them to S3:
//! `DIR/AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE.json.gz`,
//! each file `{"Records":[...]}`, and/or as JSON Lines on stdout.
//!
//! A request never waits for the disk: a full queue drops the record and counts it, and the
//! count is reported on stderr (never silently). A file is written to a hidden temporary name,
//! synced, then renamed into place, so a reader (or a crash at any moment) never sees half a
//! file. Files roll over every [`TrailConfig::roll_every`] or [`TrailConfig::roll_events`]
//! records; [`Trail::close`] writes what is pending (at shutdown).

use keyward_kms::trail::{api_event, kms_event, service_event, ApiCall, KmsCall, ServiceEvent};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where and how records are written.
#[derive(Debug, Clone)]
pub struct TrailConfig {
    /// The directory CloudTrail files go under (`DIR/AWSLogs/...`); `None`: no files.
    pub dir: Option<PathBuf>,
    /// Also (or only) write one record per line on stdout.
    pub stdout: bool,
    /// A file is closed this long after its first record.
    pub roll_every: Duration,
    /// ... or once it holds this many records.
    pub roll_events: usize,
    /// Records waiting for the writer at most; more are dropped and counted.
    pub queue: usize,
}

impl Default for TrailConfig {
    fn default() -> TrailConfig {
        TrailConfig {
            dir: None,
            stdout: false,
            roll_every: Duration::from_secs(300),
            roll_events: 1000,
            queue: 16 * 1024,
        }
    }
}

enum Msg {
    Record(Box<Value>),
    /// Write everything pending, then answer.
    Flush(SyncSender<()>),
}

/// The recorder handle, shared by every request.
#[derive(Debug)]
pub struct Trail {
    tx: SyncSender<Msg>,
    dropped: AtomicU64,
    reported: AtomicU64,
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// A random UUID (version 4), for `eventID`.
pub fn uuid() -> String {
    let mut b = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

impl Trail {
    /// Starts the writer thread. Fails when the directory cannot be created.
    pub fn start(config: TrailConfig) -> std::io::Result<Trail> {
        if let Some(d) = &config.dir {
            std::fs::create_dir_all(d)?;
        }
        let (tx, rx) = mpsc::sync_channel(config.queue.max(1));
        let worker = std::thread::Builder::new()
            .name("keyward-cloudtrail".into())
            .spawn(move || Writer::new(config).run(&rx))?;
        Ok(Trail {
            tx,
            dropped: AtomicU64::new(0),
            reported: AtomicU64::new(0),
            worker: Mutex::new(Some(worker)),
        })
    }

    /// Queues a record; never blocks. A full queue drops it and counts it.
    pub fn record(&self, event: Value) {
        match self.tx.try_send(Msg::Record(Box::new(event))) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                // Reported at the first drop and every 1000th after, and at close.
                if n == 1 || n % 1000 == 0 {
                    self.report_drops();
                }
            }
        }
    }

    /// Records one call of any service (IAM and STS calls included), with a fresh `eventID`.
    pub fn record_api(&self, call: &ApiCall<'_>) {
        let id = uuid();
        self.record(api_event(&ApiCall { event_id: &id, ..call.clone() }));
    }

    /// Records one KMS call; a fresh `eventID` unless the call has one.
    pub fn record_kms(&self, call: &KmsCall<'_>) {
        let id = if call.event_id.is_empty() { uuid() } else { call.event_id.to_string() };
        self.record(kms_event(&KmsCall { event_id: &id, ..call.clone() }));
    }

    /// Records what the KMS did by itself.
    pub fn record_service(&self, events: &[ServiceEvent], dropped: u64) {
        for e in events {
            self.record(service_event(e, &uuid()));
        }
        if dropped > 0 {
            self.dropped.fetch_add(dropped, Ordering::Relaxed);
            self.report_drops();
        }
    }

    /// Records dropped so far (queue full, or service events nobody took in time).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn report_drops(&self) {
        let total = self.dropped();
        let before = self.reported.swap(total, Ordering::Relaxed);
        if total > before {
            eprintln!(
                "keyward: CloudTrail recorder dropped {} record(s) ({total} in all): the writer \
                 could not keep up",
                total - before
            );
        }
    }

    /// Writes every queued record now (files are closed early), waiting at most `wait`.
    pub fn flush(&self, wait: Duration) -> bool {
        let (tx, rx) = mpsc::sync_channel(1);
        let deadline = Instant::now() + wait;
        let mut msg = Msg::Flush(tx);
        loop {
            match self.tx.try_send(msg) {
                Ok(()) => break,
                Err(TrySendError::Full(m)) if Instant::now() < deadline => {
                    msg = m;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return false,
            }
        }
        rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).is_ok()
    }

    /// Writes what is pending and stops the writer (at shutdown); reports drops.
    pub fn close(&self, wait: Duration) {
        let flushed = self.flush(wait);
        self.report_drops();
        if !flushed {
            eprintln!(
                "keyward: CloudTrail recorder: pending records could not be written in {wait:?}"
            );
        }
        if let Some(w) =
            self.worker.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
        {
            // The thread ends when the last sender goes; it is not joined (it may be
            // blocked on a slow disk, and shutdown must not hang on it).
            drop(w);
        }
    }
}

/// What the server knows of a request besides the caller (for its record).
#[derive(Debug, Clone, Copy)]
pub struct RequestMeta<'a> {
    /// The access key the request was signed with.
    pub access_key: Option<&'a str>,
    /// The `User-Agent` header.
    pub user_agent: Option<&'a str>,
    /// The `x-amzn-RequestId`.
    pub request_id: &'a str,
}

/// The request path's hook: runs one KMS call and, with a recorder, records it (denied and
/// failed calls included) and whatever the KMS did by itself before it (rotations,
/// deletions, expired material). The facts are read under the same lock, just before the call.
pub fn call_kms(
    trail: Option<&Trail>,
    kms: &mut keyward_kms::Kms,
    caller: &keyward_kms::Caller,
    op: keyward_kms::Operation,
    input: &Value,
    meta: &RequestMeta<'_>,
) -> Result<Value, keyward_kms::KmsError> {
    let Some(trail) = trail else { return kms.call_op(caller, op, input) };
    // The facts run the clock first, as the call would (due rotations and deletions happen
    // before it), so they are those the call sees.
    let mut facts = kms.trail_facts(caller, op, input);
    // The event's id is known before the call, so GetKeyLastUsage can name it.
    let event_id = uuid();
    let result = kms.call_op_recorded(caller, op, input, Some(&event_id));
    let (events, dropped) = kms.take_service_events();
    trail.record_service(&events, dropped);
    let identity = kms.trail_identity(caller, meta.access_key);
    if let Ok(out) = &result {
        facts.complete(op, out);
    }
    let region = caller.region.clone().unwrap_or_else(|| kms.config().region.clone());
    let outcome = match &result {
        Ok(out) => Ok(out),
        Err(e) => Err((e.code.as_str(), e.message.as_str())),
    };
    trail.record_kms(&KmsCall {
        op,
        request: input,
        outcome,
        facts: &facts,
        identity: &identity,
        region: &region,
        time_ms: caller.now_ms,
        source_ip: caller.source_ip.as_deref(),
        user_agent: meta.user_agent,
        request_id: meta.request_id,
        event_id: &event_id,
    });
    result
}

/// Records of one file: same account, Region and day.
struct Open {
    opened: Instant,
    first_ms: i64,
    records: Vec<Value>,
}

struct Writer {
    config: TrailConfig,
    open: BTreeMap<(String, String, String), Open>,
}

fn s<'v>(v: &'v Value, k: &str) -> &'v str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// Milliseconds of an `eventTime` (`2026-01-02T03:04:05Z`), 0 when unreadable.
fn event_ms(v: &Value) -> i64 {
    keyward_core::model::parse_date(s(v, "eventTime")).unwrap_or(0)
}

impl Writer {
    fn new(config: TrailConfig) -> Writer {
        Writer { config, open: BTreeMap::new() }
    }

    fn run(mut self, rx: &Receiver<Msg>) {
        loop {
            let wait = self
                .open
                .values()
                .map(|o| self.config.roll_every.saturating_sub(o.opened.elapsed()))
                .min()
                .unwrap_or(Duration::from_secs(3600));
            match rx.recv_timeout(wait) {
                Ok(Msg::Record(v)) => self.add(*v),
                Ok(Msg::Flush(done)) => {
                    self.roll(true);
                    let _ = done.send(());
                }
                Err(RecvTimeoutError::Timeout) => self.roll(false),
                Err(RecvTimeoutError::Disconnected) => {
                    self.roll(true);
                    return;
                }
            }
        }
    }

    fn add(&mut self, v: Value) {
        if self.config.stdout {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{v}");
            let _ = out.flush();
        }
        if self.config.dir.is_none() {
            return;
        }
        let ms = event_ms(&v);
        let day = keyward_kms::trail::event_time(ms).get(..10).unwrap_or("").to_string();
        let key = (s(&v, "recipientAccountId").to_string(), s(&v, "awsRegion").to_string(), day);
        let open = self.open.entry(key).or_insert_with(|| Open {
            opened: Instant::now(),
            first_ms: ms,
            records: Vec::new(),
        });
        open.records.push(v);
        if open.records.len() >= self.config.roll_events {
            self.roll(false);
        }
    }

    /// Writes the files that are due (all of them with `all`).
    fn roll(&mut self, all: bool) {
        let Some(dir) = self.config.dir.clone() else { return };
        let due: Vec<_> = self
            .open
            .iter()
            .filter(|(_, o)| {
                all || o.records.len() >= self.config.roll_events
                    || o.opened.elapsed() >= self.config.roll_every
            })
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            let Some(open) = self.open.remove(&key) else { continue };
            let (account, region, _) = &key;
            if let Err(e) = write_file(&dir, account, region, open.first_ms, &open.records) {
                eprintln!(
                    "keyward: CloudTrail recorder: {} record(s) not written: {e}",
                    open.records.len()
                );
            }
        }
    }
}

/// The path CloudTrail would deliver a file of `account`/`region` opened at `ms` to.
pub fn file_path(dir: &Path, account: &str, region: &str, ms: i64, unique: &str) -> PathBuf {
    let t = keyward_kms::trail::event_time(ms);
    // 2026-01-02T03:04:05Z
    let (y, mo, d, h, mi) = (&t[0..4], &t[5..7], &t[8..10], &t[11..13], &t[14..16]);
    let safe = |x: &str| -> String {
        x.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
    };
    let (account, region) = (safe(account), safe(region));
    dir.join("AWSLogs")
        .join(&account)
        .join("CloudTrail")
        .join(&region)
        .join(y)
        .join(mo)
        .join(d)
        .join(format!("{account}_CloudTrail_{region}_{y}{mo}{d}T{h}{mi}Z_{unique}.json.gz"))
}

/// Writes `{"Records": records}` gzipped to its place: a hidden temporary file in the same
/// directory, synced, renamed, and the directory synced.
pub fn write_file(
    dir: &Path,
    account: &str,
    region: &str,
    ms: i64,
    records: &[Value],
) -> std::io::Result<PathBuf> {
    let unique: String = uuid().chars().filter(char::is_ascii_alphanumeric).take(16).collect();
    let path = file_path(dir, account, region, ms, &unique);
    let parent = path.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("trail");
    let tmp = parent.join(format!(".{name}.tmp"));
    let result = (|| {
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        let mut gz = flate2::write::GzEncoder::new(
            std::io::BufWriter::new(file),
            flate2::Compression::default(),
        );
        serde_json::to_writer(&mut gz, &serde_json::json!({ "Records": records }))?;
        let file = gz.finish()?.into_inner().map_err(std::io::IntoInnerError::into_error)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        if let Ok(d) = std::fs::File::open(parent) {
            let _ = d.sync_all();
        }
        Ok(path.clone())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
