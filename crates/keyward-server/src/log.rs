//! The access log: one line per call on stdout, as JSON or text. It records who called what
//! on which key and how it ended; never request or response bodies, never secrets.
//!
//! Calls never write to stdout themselves: they append to a bounded queue that a thread of its
//! own writes out. When stdout is not being read and the queue is full, lines are dropped and
//! counted, and the count is logged once the queue drains; a request never waits for the log.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// Access-log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// One human-readable line.
    Text,
    /// No access log.
    Off,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<LogFormat, String> {
        match s {
            "json" => Ok(LogFormat::Json),
            "text" => Ok(LogFormat::Text),
            "off" => Ok(LogFormat::Off),
            _ => Err(format!("unknown log format `{s}` (json, text or off)")),
        }
    }
}

/// One access-log record.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    /// Request time, epoch milliseconds.
    pub time_ms: i64,
    /// The `x-amzn-RequestId`.
    pub request_id: String,
    /// The authenticated principal, when authentication succeeded.
    pub principal: Option<String>,
    /// The operation (target without its prefix), as sent.
    pub operation: Option<String>,
    /// The key the call concerned.
    pub key_id: Option<String>,
    /// `Allow` on success, else the error code.
    pub result: String,
    /// HTTP status.
    pub status: u16,
    /// Time spent handling the call, microseconds.
    pub latency_us: u64,
}

/// RFC 3339 UTC with milliseconds.
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = crate::sigv4::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        ms.rem_euclid(1000)
    )
}

fn quoted(s: Option<&str>) -> String {
    match s {
        Some(s) => serde_json::to_string(s).unwrap_or_else(|_| "null".to_string()),
        None => "null".to_string(),
    }
}

impl Entry {
    /// The line for `format` (without newline); `None` when logging is off.
    pub fn line(&self, format: LogFormat) -> Option<String> {
        match format {
            LogFormat::Off => None,
            // Written by hand (fixed key order, no intermediate map): this runs on every call.
            LogFormat::Json => Some(format!(
                "{{\"time\":\"{}\",\"request_id\":{},\"principal\":{},\"operation\":{},\"key_id\":{},\"result\":{},\"status\":{},\"latency_us\":{}}}",
                rfc3339(self.time_ms),
                quoted(Some(&self.request_id)),
                quoted(self.principal.as_deref()),
                quoted(self.operation.as_deref()),
                quoted(self.key_id.as_deref()),
                quoted(Some(&self.result)),
                self.status,
                self.latency_us
            )),
            // Fields are separated by spaces: each is escaped so that no value (a KeyId with
            // a newline, say) can end the line or shift the fields.
            LogFormat::Text => Some(format!(
                "{} {} {} {} {} {} {} {}us",
                rfc3339(self.time_ms),
                escape(&self.request_id),
                escape(self.principal.as_deref().unwrap_or("-")),
                escape(self.operation.as_deref().unwrap_or("-")),
                escape(self.key_id.as_deref().unwrap_or("-")),
                escape(&self.result),
                self.status,
                self.latency_us
            )),
        }
    }

    /// Queues the line (written to stdout within about 20 ms); never blocks on stdout.
    pub fn emit(&self, format: LogFormat) {
        if let Some(line) = self.line(format) {
            TEXT_NOTES.store(format == LogFormat::Text, Ordering::Relaxed);
            append(&line);
        }
    }
}

/// A text-log field: backslash, space and control characters (including DEL and the C1
/// range) as `\\`, `\x20`, `\xNN` / `\u{NNNN}`.
fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    let plain = |c: char| c != '\\' && c != ' ' && !c.is_control();
    if s.chars().all(plain) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if plain(c) => out.push(c),
            c if u32::from(c) < 0x100 => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push_str(&format!("\\u{{{:04x}}}", u32::from(c))),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Pending log text, at most [`QUEUE_BYTES`]. Calls only append to it (no syscall, no thread
/// wake-up per call); the log thread writes it out every [`FLUSH_EVERY`].
static PENDING: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// Lines dropped because the queue was full, not yet reported.
static DROPPED: AtomicU64 = AtomicU64::new(0);
/// Whether the drop notice is written as text (else JSON).
static TEXT_NOTES: AtomicBool = AtomicBool::new(false);
/// Held while taking and writing a batch, so batches reach stdout in order.
static WRITING: Mutex<()> = Mutex::new(());
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(20);
/// The queue's bound: about 4,000 JSON lines.
pub const QUEUE_BYTES: usize = 1 << 20;

fn append(line: &str) {
    static WRITER: OnceLock<()> = OnceLock::new();
    WRITER.get_or_init(|| {
        let _ = std::thread::Builder::new().name("keyward-access-log".into()).spawn(|| loop {
            std::thread::sleep(FLUSH_EVERY);
            write_batch();
        });
    });
    let mut p = PENDING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if p.len() + line.len() + 1 > QUEUE_BYTES {
        drop(p);
        DROPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    p.extend_from_slice(line.as_bytes());
    p.push(b'\n');
}

/// Lines dropped so far and not yet reported in the log.
pub fn dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Takes the queue (and the count of dropped lines, reported first) and writes it to stdout.
/// Only the log thread, and [`flush`] at shutdown, wait on stdout here.
fn write_batch() {
    let _w = WRITING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let batch =
        std::mem::take(&mut *PENDING.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    let dropped = DROPPED.swap(0, Ordering::Relaxed);
    if batch.is_empty() && dropped == 0 {
        return;
    }
    let mut out = std::io::stdout().lock();
    if dropped > 0 {
        let now = rfc3339(crate::handler::now_ms());
        let note = if TEXT_NOTES.load(Ordering::Relaxed) {
            format!("{now} access-log dropped {dropped} lines (stdout was not being read)\n")
        } else {
            format!("{{\"time\":\"{now}\",\"access_log_dropped_lines\":{dropped}}}\n")
        };
        let _ = out.write_all(note.as_bytes());
    }
    let _ = out.write_all(&batch);
    let _ = out.flush();
}

/// Writes every pending line to stdout now (at shutdown), waiting at most 2 seconds for a
/// stdout that is not being read; errors, such as a closed pipe, are ignored.
pub fn flush() {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned =
        std::thread::Builder::new().name("keyward-access-log-flush".into()).spawn(move || {
            write_batch();
            let _ = tx.send(());
        });
    if spawned.is_ok() {
        let _ = rx.recv_timeout(std::time::Duration::from_secs(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let e = Entry {
            time_ms: 1_700_000_000_123,
            request_id: "r1".into(),
            principal: Some("arn:aws:iam::111122223333:user/admin".into()),
            operation: Some("Decrypt".into()),
            key_id: Some("k".into()),
            result: "AccessDeniedException".into(),
            status: 400,
            latency_us: 42,
        };
        assert_eq!(rfc3339(e.time_ms), "2023-11-14T22:13:20.123Z");
        let v: serde_json::Value =
            serde_json::from_str(&e.line(LogFormat::Json).unwrap_or_default()).unwrap_or_default();
        assert_eq!(v["operation"], "Decrypt");
        assert_eq!(v["result"], "AccessDeniedException");
        assert_eq!(v["latency_us"], 42);
        assert_eq!(v["time"], "2023-11-14T22:13:20.123Z");
        assert!(e.line(LogFormat::Text).unwrap_or_default().contains(" Decrypt k "));
        assert_eq!(e.line(LogFormat::Off), None);
    }

    #[test]
    fn text_lines_escape_control_characters() {
        let e = Entry {
            key_id: Some("k\n2023-11-14T22:13:20.123Z forged admin Decrypt k Allow 200 1us".into()),
            principal: Some("a b\\c\r\u{1b}[31m\u{85}".into()),
            ..Entry::default()
        };
        let line = e.line(LogFormat::Text).unwrap_or_default();
        assert!(!line.chars().any(char::is_control), "{line:?}");
        assert_eq!(line.split(' ').count(), 8, "{line}");
        assert!(line.contains(" a\\x20b\\\\c\\x0d\\x1b[31m\\x85 "), "{line}");
        assert!(line.contains(" k\\x0a2023-11-14T22:13:20.123Z\\x20forged"), "{line}");
    }
}
