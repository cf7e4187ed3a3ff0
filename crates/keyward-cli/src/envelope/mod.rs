//! `keyward encrypt-file` / `keyward decrypt-file`: envelope encryption of files under a KMS key.
//!
//! encrypt-file asks the KMS for a data key (GenerateDataKey, AES_256, with the encryption
//! context), then streams the file through `keyward_kms::crypto::envelope` (AES-256-GCM chunks,
//! an authenticated header carrying the encrypted data key and the context). decrypt-file reads
//! the header, asks the KMS to Decrypt the data key (authorized like any Decrypt, with the
//! header's context), then streams. The output is written to a temporary file beside OUT and
//! renamed only on success, so a failure never leaves a partial OUT; an existing OUT is kept
//! unless `--force` is given.
//!
//! Exit codes: 0 success, 1 the KMS refused (error printed like the aws CLI) or the file failed
//! authentication, 2 bad usage or input (unreadable IN, existing OUT without `--force`, ...).

mod pipe;

use crate::kms::params::parse_map;
use crate::kms::session::{self, CallerArgs};
use keyward_kms::api::{DataKeyRequest, DecryptRequest};
use keyward_kms::crypto::envelope::{self, EnvelopeError, EnvelopeParams};
use keyward_kms::types::DataKeySpec;
use keyward_kms::{Blob, Operation};
use pipe::{PipeReader, PipeWriter};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `keyward encrypt-file` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct EncryptArgs {
    /// The KMS key: key id, key ARN, alias name or alias ARN.
    #[arg(long)]
    key_id: String,
    /// Encryption context: K=V,K2=V2 or JSON (repeatable). It is stored, authenticated, in
    /// the file's header, so decrypt-file needs no context flag.
    #[arg(long = "encryption-context", value_name = "K=V")]
    context: Vec<String>,
    /// Plaintext bytes per chunk (1 to 16 MiB).
    #[arg(long, default_value_t = 1 << 20)]
    chunk_size: u32,
    /// Replace OUT if it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    caller: CallerArgs,
    /// The file to encrypt.
    input: PathBuf,
    /// The envelope file to write.
    output: PathBuf,
}

/// `keyward decrypt-file` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct DecryptArgs {
    /// Require the data key to be encrypted under this KMS key (IncorrectKeyException if not).
    #[arg(long)]
    key_id: Option<String>,
    /// Replace OUT if it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    caller: CallerArgs,
    /// The envelope file to decrypt.
    input: PathBuf,
    /// The plaintext file to write.
    output: PathBuf,
}

enum Fail {
    /// Bad usage or input: exit 2.
    Usage(String),
    /// The KMS refused: already printed, exit 1.
    Kms,
    /// The file is not authentic or not an envelope: exit 1.
    Data(String),
}

fn finish(cmd: &str, r: Result<(), Fail>) -> u8 {
    match r {
        Ok(()) => 0,
        Err(Fail::Usage(m)) => {
            eprintln!("keyward {cmd}: error: {m}");
            2
        }
        Err(Fail::Kms) => 1,
        Err(Fail::Data(m)) => {
            eprintln!("keyward {cmd}: error: {m}");
            1
        }
    }
}

/// A temporary output file beside OUT, removed on drop unless committed.
struct TmpFile {
    path: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl TmpFile {
    fn create(target: &Path, force: bool) -> Result<(TmpFile, File), Fail> {
        if !force && target.exists() {
            return Err(Fail::Usage(format!(
                "{} exists (pass --force to replace it)",
                target.display()
            )));
        }
        let name = target
            .file_name()
            .ok_or_else(|| Fail::Usage(format!("{}: not a file name", target.display())))?;
        let mut tmp_name = name.to_os_string();
        tmp_name.push(format!(".keyward-{}.tmp", std::process::id()));
        let path = target.with_file_name(tmp_name);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        let file = opts
            .open(&path)
            .map_err(|e| Fail::Usage(format!("cannot create {}: {e}", path.display())))?;
        Ok((TmpFile { path, target: target.to_path_buf(), committed: false }, file))
    }

    /// Waits for the writes, syncs, and renames the file to OUT.
    fn commit(mut self, writer: PipeWriter) -> Result<(), Fail> {
        let io =
            |e: std::io::Error| Fail::Usage(format!("cannot write {}: {e}", self.path.display()));
        let file = writer.finish().map_err(io)?;
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&self.path, &self.target).map_err(|e| {
            Fail::Usage(format!(
                "cannot rename {} to {}: {e}",
                self.path.display(),
                self.target.display()
            ))
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for TmpFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A progress bar on stderr, drawn only when stderr is a terminal and the file is large.
struct Progress {
    label: &'static str,
    total: u64,
    on: bool,
    start: Instant,
    last: Instant,
}

impl Progress {
    fn new(label: &'static str, total: u64) -> Progress {
        let now = Instant::now();
        let on = std::io::stderr().is_terminal() && total >= 8 << 20;
        Progress { label, total, on, start: now, last: now }
    }

    fn update(&mut self, done: u64) {
        if !self.on || self.last.elapsed().as_millis() < 100 {
            return;
        }
        self.last = Instant::now();
        let frac = if self.total == 0 { 1.0 } else { ratio(done, self.total).min(1.0) };
        let width = 30;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0..=30")]
        let filled = (frac * f64::from(width)) as usize;
        let rate = ratio(done, 1).max(0.0) / self.start.elapsed().as_secs_f64().max(1e-9);
        eprint!(
            "\r{} [{}{}] {:>3.0}% {} / {}  {}/s ",
            self.label,
            "#".repeat(filled),
            " ".repeat(30usize.saturating_sub(filled)),
            frac * 100.0,
            size(ratio(done, 1)),
            size(ratio(self.total, 1)),
            size(rate)
        );
    }

    fn done(&self, bytes: u64) {
        if self.on {
            let secs = self.start.elapsed().as_secs_f64().max(1e-9);
            eprintln!(
                "\r\x1b[2K{} {} in {secs:.2} s ({}/s)",
                self.label,
                size(ratio(bytes, 1)),
                size(ratio(bytes, 1) / secs)
            );
        }
    }
}

#[allow(clippy::cast_precision_loss, reason = "display only")]
fn ratio(a: u64, b: u64) -> f64 {
    a as f64 / b as f64
}

fn size(b: f64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = b;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

fn open_kms(a: &CallerArgs) -> Result<(keyward_kms::Kms, keyward_kms::Caller), Fail> {
    session::open(a).map_err(|e| Fail::Usage(e.message().to_string()))
}

fn open_input(path: &Path) -> Result<(File, u64), Fail> {
    let file = File::open(path)
        .map_err(|e| Fail::Usage(format!("cannot read {}: {e}", path.display())))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((file, len))
}

fn envelope_error(path: &Path, e: &EnvelopeError) -> Fail {
    match e {
        EnvelopeError::Io(io) => Fail::Usage(format!("{}: {io}", path.display())),
        other => Fail::Data(format!("{}: {other}", path.display())),
    }
}

fn do_encrypt(a: &EncryptArgs) -> Result<(), Fail> {
    if a.chunk_size == 0 || a.chunk_size > envelope::MAX_CHUNK_SIZE {
        return Err(Fail::Usage(format!(
            "--chunk-size {}: expected 1 to {}",
            a.chunk_size,
            envelope::MAX_CHUNK_SIZE
        )));
    }
    let mut ctx: BTreeMap<String, String> = BTreeMap::new();
    for c in &a.context {
        let pairs = parse_map(c, "--encryption-context").map_err(Fail::Usage)?;
        // parse_map admits string values only.
        ctx.extend(pairs.into_iter().map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string())));
    }
    let (input, len) = open_input(&a.input)?;
    if !a.force && a.output.exists() {
        return Err(Fail::Usage(format!(
            "{} exists (pass --force to replace it)",
            a.output.display()
        )));
    }
    let (mut kms, caller) = open_kms(&a.caller)?;
    let req = DataKeyRequest {
        key_id: a.key_id.clone(),
        key_spec: Some(DataKeySpec::Aes256),
        encryption_context: Some(ctx.clone()),
        ..DataKeyRequest::default()
    };
    let data_key = kms.generate_data_key(&caller, req).map_err(|e| {
        session::print_error(Operation::GenerateDataKey.as_str(), &e, a.caller.explain);
        Fail::Kms
    })?;
    let key = data_key.plaintext;
    let params = EnvelopeParams {
        encrypted_key: &data_key.ciphertext_blob.0,
        context: &ctx,
        chunk_size: a.chunk_size,
    };
    let (tmp, file) = TmpFile::create(&a.output, a.force)?;
    let io_in = |e: std::io::Error| Fail::Usage(format!("{}: {e}", a.input.display()));
    let io_out = |e: std::io::Error| Fail::Usage(format!("{}: {e}", a.output.display()));
    let writer = PipeWriter::new(file).map_err(io_out)?;
    let mut reader = PipeReader::new(input).map_err(io_in)?;
    let mut progress = Progress::new("encrypt-file", len);
    let mut enc = envelope::Encryptor::new(writer, key.expose(), &params, &mut rand_core::OsRng)
        .map_err(|e| envelope_error(&a.output, &e))?;
    loop {
        let buf = reader.next_buf().map_err(io_in)?;
        if buf.is_empty() {
            break;
        }
        enc.update(&buf).map_err(|e| envelope_error(&a.output, &e))?;
        reader.recycle(buf);
        progress.update(enc.bytes_in());
    }
    let total = enc.bytes_in();
    let writer = enc.finish().map_err(|e| envelope_error(&a.output, &e))?;
    tmp.commit(writer)?;
    progress.done(total);
    Ok(())
}

fn do_decrypt(a: &DecryptArgs) -> Result<(), Fail> {
    let (input, len) = open_input(&a.input)?;
    let mut reader =
        PipeReader::new(input).map_err(|e| Fail::Usage(format!("{}: {e}", a.input.display())))?;
    let header = envelope::read_header(&mut reader).map_err(|e| envelope_error(&a.input, &e))?;
    if !a.force && a.output.exists() {
        return Err(Fail::Usage(format!(
            "{} exists (pass --force to replace it)",
            a.output.display()
        )));
    }
    let (mut kms, caller) = open_kms(&a.caller)?;
    let req = DecryptRequest {
        ciphertext_blob: Blob(header.encrypted_key.clone()),
        encryption_context: Some(header.context.clone()),
        key_id: a.key_id.clone(),
        ..DecryptRequest::default()
    };
    let key = kms
        .decrypt(&caller, req)
        .map_err(|e| {
            session::print_error(Operation::Decrypt.as_str(), &e, a.caller.explain);
            Fail::Kms
        })?
        .plaintext;
    let (tmp, file) = TmpFile::create(&a.output, a.force)?;
    let mut writer =
        PipeWriter::new(file).map_err(|e| Fail::Usage(format!("{}: {e}", a.output.display())))?;
    let mut progress = Progress::new("decrypt-file", len);
    let total =
        envelope::decrypt_stream(key.expose(), &header, &mut reader, &mut writer, &mut |n| {
            progress.update(n);
        })
        .map_err(|e| envelope_error(&a.input, &e))?;
    writer.flush().map_err(|e| Fail::Usage(format!("{}: {e}", a.output.display())))?;
    tmp.commit(writer)?;
    progress.done(total);
    Ok(())
}

/// Runs `keyward encrypt-file`.
pub(crate) fn encrypt(a: &EncryptArgs) -> u8 {
    finish("encrypt-file", do_encrypt(a))
}

/// Runs `keyward decrypt-file`.
pub(crate) fn decrypt(a: &DecryptArgs) -> u8 {
    finish("decrypt-file", do_decrypt(a))
}
