//! The access log: one line per call on stdout, as JSON or text. It records who called what
//! on which key and how it ended; never request or response bodies, never secrets.

use std::io::Write;
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
            LogFormat::Text => Some(format!(
                "{} {} {} {} {} {} {} {}us",
                rfc3339(self.time_ms),
                self.request_id,
                self.principal.as_deref().unwrap_or("-"),
                self.operation.as_deref().unwrap_or("-"),
                self.key_id.as_deref().unwrap_or("-"),
                self.result,
                self.status,
                self.latency_us
            )),
        }
    }

    /// Appends the line to the log buffer (written to stdout at least every 20 ms).
    pub fn emit(&self, format: LogFormat) {
        if let Some(line) = self.line(format) {
            append(&line);
        }
    }
}

/// Pending log text. Calls only append to it (no syscall, no thread wake-up per call); a
/// background thread writes it out every [`FLUSH_EVERY`], and a call that finds more than
/// [`HIGH_WATER`] pending writes it itself, so memory stays bounded if stdout stalls.
static PENDING: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// Held while taking and writing a batch, so batches reach stdout in order.
static WRITING: Mutex<()> = Mutex::new(());
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(20);
const HIGH_WATER: usize = 1 << 20;

fn append(line: &str) {
    static FLUSHER: OnceLock<()> = OnceLock::new();
    FLUSHER.get_or_init(|| {
        let _ = std::thread::Builder::new().name("keyward-access-log".into()).spawn(|| loop {
            std::thread::sleep(FLUSH_EVERY);
            flush();
        });
    });
    let full = {
        let mut p = PENDING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        p.extend_from_slice(line.as_bytes());
        p.push(b'\n');
        p.len() > HIGH_WATER
    };
    if full {
        flush();
    }
}

/// Writes every pending line to stdout now (errors, such as a closed pipe, are ignored).
pub fn flush() {
    let _w = WRITING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let batch =
        std::mem::take(&mut *PENDING.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    if !batch.is_empty() {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&batch);
        let _ = out.flush();
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
}
