//! The envelope file format of `keyward encrypt-file`: an authenticated header carrying the
//! encrypted data key and encryption context, then AES-256-GCM chunks with per-chunk nonces.
//!
//! `FORMATS.md` at the repository root describes the bytes. In short, version 1 is:
//! header (magic, version, suite, chunk size, salt, encrypted data key, canonical context),
//! a 16-byte header tag, then chunks of `chunk_size` plaintext bytes each followed by a 16-byte
//! GCM tag; the last chunk (possibly empty, possibly full) is marked final in its nonce.
//!
//! Keys: `HKDF-SHA256(ikm = data key, salt = header salt, info = "keyward envelope v1")` gives a
//! 32-byte file key and a 7-byte nonce prefix. Chunk `i` uses the nonce
//! `prefix || u32be(i) || flag` with flag 0 (more chunks follow) or 1 (last chunk); the header
//! tag is the GCM tag of an empty plaintext with the header as associated data under nonce
//! `prefix || FF FF FF FF || 02`.
//!
//! Decryption writes a chunk only after its tag verified. A stream cut at a chunk boundary is
//! still detected (the last chunk read is not marked final) but only at the end, after the
//! earlier, authentic chunks were written: callers write to a temporary file and keep it only
//! when [`decrypt_stream`] succeeds.

use super::blob::canonical_context;
use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
use hkdf::Hkdf;
use rand_core::CryptoRngCore;
use sha2::Sha256;
use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use zeroize::Zeroizing;

/// First bytes of an envelope file (`kwenv\r\n\x1a`).
pub const MAGIC: [u8; 8] = *b"kwenv\r\n\x1a";
/// The format version this code writes and reads.
pub const VERSION: u8 = 1;
/// Suite 1: AES-256-GCM chunks, HKDF-SHA256 file key, prefix/counter/flag nonces.
pub const SUITE: u8 = 1;
/// Plaintext bytes per chunk unless the caller chooses otherwise (64 KiB).
pub const DEFAULT_CHUNK_SIZE: u32 = 64 * 1024;
/// Largest chunk size a file may declare (16 MiB), which bounds decryption memory.
pub const MAX_CHUNK_SIZE: u32 = 16 * 1024 * 1024;
/// Largest encrypted data key (AWS's CiphertextBlob limit).
pub const MAX_ENCRYPTED_KEY: usize = 6144;
/// Largest canonical encryption context in a header.
pub const MAX_CONTEXT: usize = 1024 * 1024;
/// GCM tag length.
pub const TAG_LEN: usize = 16;
const SALT_LEN: usize = 32;
const PREFIX_LEN: usize = 7;
const HKDF_INFO: &[u8] = b"keyward envelope v1";
/// How far from its position a chunk is searched for when it fails, to report reordering.
const REORDER_WINDOW: u64 = 64;

/// What can go wrong reading or writing an envelope file.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    /// Reading or writing failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The file does not start with the envelope magic bytes.
    #[error("not a keyward envelope file (unknown magic bytes)")]
    NotEnvelope,
    /// A version or suite this build does not read.
    #[error("unsupported envelope format version {version} suite {suite}")]
    Unsupported {
        /// Version byte.
        version: u8,
        /// Suite byte.
        suite: u8,
    },
    /// The header is cut short or its fields are invalid.
    #[error("malformed envelope header: {0}")]
    MalformedHeader(String),
    /// The data key is not 32 bytes.
    #[error("the data key must be 32 bytes")]
    BadKey,
    /// Bad parameters when writing.
    #[error("{0}")]
    InvalidInput(String),
    /// The header tag does not verify.
    #[error("header authentication failed: the header was modified or the data key is wrong")]
    HeaderAuthentication,
    /// A chunk's tag does not verify at its position.
    #[error("chunk {index} failed authentication: the file was modified or damaged")]
    ChunkAuthentication {
        /// Chunk index (0-based).
        index: u64,
    },
    /// A chunk verifies, but at another position.
    #[error("chunk {index} is out of order: it was written as chunk {written}")]
    Reordered {
        /// Where it was found.
        index: u64,
        /// Where it was written.
        written: u64,
    },
    /// The file ends without its final chunk.
    #[error("the file is truncated: it ends after {chunks} chunk(s) without the final chunk")]
    Truncated {
        /// Complete, authentic chunks read.
        chunks: u64,
    },
    /// Bytes follow the final chunk.
    #[error("the file has unexpected data after its final chunk {index}")]
    TrailingData {
        /// Index of the final chunk.
        index: u64,
    },
    /// More chunks than the 32-bit counter allows.
    #[error("the input is too large for one envelope file")]
    TooLarge,
}

/// What to put in a new envelope's header.
#[derive(Debug, Clone, Copy)]
pub struct EnvelopeParams<'a> {
    /// The KMS CiphertextBlob of the data key (opaque here).
    pub encrypted_key: &'a [u8],
    /// The encryption context the data key was generated with.
    pub context: &'a BTreeMap<String, String>,
    /// Plaintext bytes per chunk (1 ..= [`MAX_CHUNK_SIZE`]).
    pub chunk_size: u32,
}

/// A parsed envelope header (read with [`read_header`]; not yet authenticated: its tag is
/// checked by [`decrypt_stream`] once the data key is known).
#[derive(Clone, PartialEq, Eq)]
pub struct EnvelopeHeader {
    /// Format version.
    pub version: u8,
    /// Plaintext bytes per chunk.
    pub chunk_size: u32,
    /// The KMS CiphertextBlob of the data key.
    pub encrypted_key: Vec<u8>,
    /// The encryption context to pass to KMS Decrypt.
    pub context: BTreeMap<String, String>,
    salt: [u8; SALT_LEN],
    bytes: Vec<u8>,
    tag: [u8; TAG_LEN],
}

impl std::fmt::Debug for EnvelopeHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvelopeHeader")
            .field("version", &self.version)
            .field("chunk_size", &self.chunk_size)
            .field("encrypted_key_len", &self.encrypted_key.len())
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

impl EnvelopeHeader {
    /// Bytes the header occupies in the file, tag included.
    pub fn len(&self) -> usize {
        self.bytes.len() + TAG_LEN
    }

    /// Never true (a header has fixed fields); present for `len`'s sake.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// The per-file AEAD and nonce prefix.
struct FileKey {
    aead: Aes256Gcm,
    prefix: [u8; PREFIX_LEN],
}

impl FileKey {
    fn derive(data_key: &[u8], salt: &[u8; SALT_LEN]) -> Result<FileKey, EnvelopeError> {
        if data_key.len() != 32 {
            return Err(EnvelopeError::BadKey);
        }
        let mut okm = Zeroizing::new([0u8; 32 + PREFIX_LEN]);
        Hkdf::<Sha256>::new(Some(salt), data_key)
            .expand(HKDF_INFO, okm.as_mut())
            .map_err(|_| EnvelopeError::BadKey)?;
        let aead = Aes256Gcm::new_from_slice(&okm[..32]).map_err(|_| EnvelopeError::BadKey)?;
        let mut prefix = [0u8; PREFIX_LEN];
        prefix.copy_from_slice(&okm[32..]);
        Ok(FileKey { aead, prefix })
    }

    fn nonce(&self, index: u32, flag: u8) -> Nonce<aes_gcm::aead::consts::U12> {
        let mut n = [0u8; 12];
        n[..PREFIX_LEN].copy_from_slice(&self.prefix);
        n[PREFIX_LEN..11].copy_from_slice(&index.to_be_bytes());
        n[11] = flag;
        Nonce::from(n)
    }

    fn header_tag(&self, header: &[u8]) -> Result<[u8; TAG_LEN], EnvelopeError> {
        let tag = self
            .aead
            .encrypt_inout_detached(&self.nonce(u32::MAX, 2), header, (&mut [][..]).into())
            .map_err(|_| EnvelopeError::HeaderAuthentication)?;
        Ok(tag.into())
    }

    /// Verifies a header tag (constant time, inside GCM).
    fn check_header_tag(&self, header: &[u8], tag: &[u8; TAG_LEN]) -> bool {
        let nonce = self.nonce(u32::MAX, 2);
        self.aead
            .decrypt_inout_detached(&nonce, header, (&mut [][..]).into(), &Tag::from(*tag))
            .is_ok()
    }

    /// Encrypts `buf[..len]` in place and puts the tag at `buf[len..len + 16]`.
    fn seal_chunk(
        &self,
        index: u32,
        last: bool,
        buf: &mut [u8],
        len: usize,
    ) -> Result<(), EnvelopeError> {
        let (body, rest) = buf.split_at_mut(len);
        let tag = self
            .aead
            .encrypt_inout_detached(&self.nonce(index, u8::from(last)), &[], body.into())
            .map_err(|_| EnvelopeError::TooLarge)?;
        rest[..TAG_LEN].copy_from_slice(&tag);
        Ok(())
    }

    /// Decrypts a chunk (ciphertext then tag) in place; false, and `chunk` unchanged, when the
    /// tag does not verify at this index and flag.
    fn open_chunk(&self, index: u64, last: bool, chunk: &mut [u8]) -> bool {
        let Ok(index) = u32::try_from(index) else {
            return false;
        };
        let Some(ct_len) = chunk.len().checked_sub(TAG_LEN) else {
            return false;
        };
        let (body, tag) = chunk.split_at_mut(ct_len);
        let Ok(tag) = <[u8; TAG_LEN]>::try_from(&*tag) else {
            return false;
        };
        let nonce = self.nonce(index, u8::from(last));
        self.aead.decrypt_inout_detached(&nonce, &[], body.into(), &Tag::from(tag)).is_ok()
    }
}

/// Serializes a header (without its tag).
fn header_bytes(
    params: &EnvelopeParams<'_>,
    salt: &[u8; SALT_LEN],
) -> Result<Vec<u8>, EnvelopeError> {
    if params.chunk_size == 0 || params.chunk_size > MAX_CHUNK_SIZE {
        return Err(EnvelopeError::InvalidInput(format!(
            "chunk size must be 1 to {MAX_CHUNK_SIZE} bytes"
        )));
    }
    let key_len = params.encrypted_key.len();
    if key_len == 0 || key_len > MAX_ENCRYPTED_KEY {
        return Err(EnvelopeError::InvalidInput(format!(
            "the encrypted data key must be 1 to {MAX_ENCRYPTED_KEY} bytes"
        )));
    }
    let context = canonical_context(params.context);
    if context.len() > MAX_CONTEXT {
        return Err(EnvelopeError::InvalidInput("the encryption context is too large".into()));
    }
    let mut out = Vec::with_capacity(56 + key_len + context.len());
    out.extend_from_slice(&MAGIC);
    out.push(VERSION);
    out.push(SUITE);
    out.extend_from_slice(&params.chunk_size.to_be_bytes());
    out.extend_from_slice(salt);
    out.extend_from_slice(&(key_len as u16).to_be_bytes());
    out.extend_from_slice(params.encrypted_key);
    out.extend_from_slice(&(context.len() as u32).to_be_bytes());
    out.extend_from_slice(&context);
    Ok(out)
}

/// Reads exactly `buf.len()` bytes of the header.
fn read_part<R: Read + ?Sized>(
    r: &mut R,
    buf: &mut [u8],
    out: &mut Vec<u8>,
) -> Result<(), EnvelopeError> {
    match r.read_exact(buf) {
        Ok(()) => {
            out.extend_from_slice(buf);
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
            Err(EnvelopeError::MalformedHeader("the file ends inside the header".into()))
        }
        Err(e) => Err(EnvelopeError::Io(e)),
    }
}

/// Reads and parses an envelope header, leaving `reader` at the first chunk. The header is
/// authenticated later, by [`decrypt_stream`].
pub fn read_header<R: Read + ?Sized>(reader: &mut R) -> Result<EnvelopeHeader, EnvelopeError> {
    let mut bytes = Vec::with_capacity(256);
    let mut fixed = [0u8; 8 + 2 + 4 + SALT_LEN + 2];
    read_part(reader, &mut fixed[..8], &mut bytes)?;
    if fixed[..8] != MAGIC {
        return Err(EnvelopeError::NotEnvelope);
    }
    read_part(reader, &mut fixed[8..], &mut bytes)?;
    let (version, suite) = (fixed[8], fixed[9]);
    if version != VERSION || suite != SUITE {
        return Err(EnvelopeError::Unsupported { version, suite });
    }
    let chunk_size = u32::from_be_bytes([fixed[10], fixed[11], fixed[12], fixed[13]]);
    if chunk_size == 0 || chunk_size > MAX_CHUNK_SIZE {
        return Err(EnvelopeError::MalformedHeader(format!(
            "chunk size {chunk_size} out of range"
        )));
    }
    let mut salt = [0u8; SALT_LEN];
    salt.copy_from_slice(&fixed[14..14 + SALT_LEN]);
    let key_len = usize::from(u16::from_be_bytes([fixed[46], fixed[47]]));
    if key_len == 0 || key_len > MAX_ENCRYPTED_KEY {
        return Err(EnvelopeError::MalformedHeader(format!(
            "encrypted data key length {key_len} out of range"
        )));
    }
    let mut encrypted_key = vec![0u8; key_len];
    read_part(reader, &mut encrypted_key, &mut bytes)?;
    let mut len = [0u8; 4];
    read_part(reader, &mut len, &mut bytes)?;
    let ctx_len = u32::from_be_bytes(len) as usize;
    if ctx_len > MAX_CONTEXT {
        return Err(EnvelopeError::MalformedHeader(format!(
            "encryption context length {ctx_len} out of range"
        )));
    }
    let mut ctx = vec![0u8; ctx_len];
    read_part(reader, &mut ctx, &mut bytes)?;
    let context = parse_context(&ctx)?;
    let mut tag = [0u8; TAG_LEN];
    let mut scratch = Vec::new();
    read_part(reader, &mut tag, &mut scratch)?;
    Ok(EnvelopeHeader { version, chunk_size, encrypted_key, context, salt, bytes, tag })
}

/// Parses a canonical context: length-prefixed UTF-8 pairs, keys strictly ascending.
fn parse_context(mut b: &[u8]) -> Result<BTreeMap<String, String>, EnvelopeError> {
    let bad = |what: &str| EnvelopeError::MalformedHeader(format!("encryption context: {what}"));
    let take = |b: &mut &[u8]| -> Result<String, EnvelopeError> {
        let (len, rest) = b.split_at_checked(4).ok_or_else(|| bad("cut short"))?;
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let (s, rest) = rest.split_at_checked(len).ok_or_else(|| bad("cut short"))?;
        *b = rest;
        String::from_utf8(s.to_vec()).map_err(|_| bad("not UTF-8"))
    };
    let mut out = BTreeMap::new();
    let mut last: Option<String> = None;
    while !b.is_empty() {
        let k = take(&mut b)?;
        let v = take(&mut b)?;
        if last.as_ref().is_some_and(|l| *l >= k) {
            return Err(bad("keys not in ascending order"));
        }
        last = Some(k.clone());
        out.insert(k, v);
    }
    Ok(out)
}

/// Writes a new header (with a random salt from `rng`) and returns the file key.
fn start<W: Write + ?Sized>(
    writer: &mut W,
    data_key: &[u8],
    params: &EnvelopeParams<'_>,
    rng: &mut dyn CryptoRngCore,
) -> Result<FileKey, EnvelopeError> {
    let mut salt = [0u8; SALT_LEN];
    rng.fill_bytes(&mut salt);
    let header = header_bytes(params, &salt)?;
    let key = FileKey::derive(data_key, &salt)?;
    let tag = key.header_tag(&header)?;
    writer.write_all(&header)?;
    writer.write_all(&tag)?;
    Ok(key)
}

/// Streaming encryption to an envelope file. Feed plaintext with [`Encryptor::update`] (or
/// `std::io::Write`), then call [`Encryptor::finish`]: without it the file has no final chunk
/// and reads as truncated.
pub struct Encryptor<W: Write> {
    writer: W,
    key: FileKey,
    chunk: usize,
    buf: Zeroizing<Vec<u8>>,
    index: u32,
    total: u64,
}

impl<W: Write> std::fmt::Debug for Encryptor<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encryptor")
            .field("chunk_size", &self.chunk)
            .field("chunks_written", &self.index)
            .field("bytes_in", &self.total)
            .finish_non_exhaustive()
    }
}

impl<W: Write> Encryptor<W> {
    /// Writes the header (with a random salt from `rng`) and returns the encryptor.
    pub fn new(
        mut writer: W,
        data_key: &[u8],
        params: &EnvelopeParams<'_>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Encryptor<W>, EnvelopeError> {
        let key = start(&mut writer, data_key, params, rng)?;
        let chunk = params.chunk_size as usize;
        let buf = Zeroizing::new(Vec::with_capacity(chunk + TAG_LEN));
        Ok(Encryptor { writer, key, chunk, buf, index: 0, total: 0 })
    }

    /// Plaintext bytes accepted so far.
    pub fn bytes_in(&self) -> u64 {
        self.total
    }

    /// Encrypts the full buffer as a non-final chunk and writes it.
    fn flush_chunk(&mut self, last: bool) -> Result<(), EnvelopeError> {
        let len = self.buf.len();
        self.buf.resize(len + TAG_LEN, 0);
        self.key.seal_chunk(self.index, last, &mut self.buf, len)?;
        self.writer.write_all(&self.buf)?;
        self.buf.clear();
        if !last {
            self.index = self.index.checked_add(1).ok_or(EnvelopeError::TooLarge)?;
        }
        Ok(())
    }

    /// Adds plaintext. A full chunk is written once more data arrives (so that the last chunk
    /// can be marked final).
    pub fn update(&mut self, mut data: &[u8]) -> Result<(), EnvelopeError> {
        while !data.is_empty() {
            if self.buf.len() == self.chunk {
                if self.index == u32::MAX {
                    return Err(EnvelopeError::TooLarge);
                }
                self.flush_chunk(false)?;
            }
            let n = (self.chunk - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..n]);
            data = &data[n..];
            self.total += n as u64;
        }
        Ok(())
    }

    /// Writes the final chunk and returns the writer (flushed).
    pub fn finish(mut self) -> Result<W, EnvelopeError> {
        self.flush_chunk(true)?;
        self.writer.flush()?;
        Ok(self.writer)
    }
}

impl<W: Write> Write for Encryptor<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        match self.update(data) {
            Ok(()) => Ok(data.len()),
            Err(EnvelopeError::Io(e)) => Err(e),
            Err(e) => Err(std::io::Error::other(e.to_string())),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// Reads from `reader` until `buf` is full or the input ends; returns the bytes read.
fn fill<R: Read + ?Sized>(reader: &mut R, buf: &mut [u8]) -> Result<usize, EnvelopeError> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(EnvelopeError::Io(e)),
        }
    }
    Ok(n)
}

/// One chunk of a batch, sealed or opened on some thread.
struct Job<'a> {
    index: u64,
    last: bool,
    /// Plaintext length (sealing only).
    len: usize,
    data: &'a mut [u8],
    ok: bool,
    done: bool,
}

/// Worker threads for batches: the machine's parallelism (1 where threads do not exist, as in
/// wasm32), at most 8.
fn worker_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(8)
}

/// Runs `f` on every job, spread over up to `threads` threads. A job whose thread could not
/// be started runs on the calling thread.
fn run_jobs(jobs: &mut [Job<'_>], threads: usize, f: &(dyn Fn(&mut Job<'_>) + Sync)) {
    let run = |job: &mut Job<'_>| {
        f(job);
        job.done = true;
    };
    if threads > 1 && jobs.len() > 1 {
        let per = jobs.len().div_ceil(threads);
        std::thread::scope(|s| {
            let mut groups = jobs.chunks_mut(per);
            let first = groups.next();
            for group in groups {
                let spawned = std::thread::Builder::new()
                    .spawn_scoped(s, move || group.iter_mut().for_each(run));
                drop(spawned);
            }
            if let Some(group) = first {
                group.iter_mut().for_each(run);
            }
        });
    }
    jobs.iter_mut().filter(|j| !j.done).for_each(run);
}

/// Chunks per batch: about 1 MiB of data, and at least 2 (the last chunk read is carried to
/// the next batch until the input is known to go on).
fn batch_chunks(chunk: usize) -> usize {
    ((1 << 20) / chunk).clamp(2, 64)
}

/// Encrypts all of `reader` into an envelope file on `writer`; `progress` receives the
/// plaintext bytes done so far after each batch of chunks. Returns the plaintext length.
/// Batches of chunks are sealed in parallel on the available cores.
pub fn encrypt_stream<R: Read + ?Sized, W: Write>(
    data_key: &[u8],
    params: &EnvelopeParams<'_>,
    reader: &mut R,
    mut writer: W,
    rng: &mut dyn CryptoRngCore,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, EnvelopeError> {
    let key = start(&mut writer, data_key, params, rng)?;
    let chunk = params.chunk_size as usize;
    let sealed = chunk + TAG_LEN;
    let batch = batch_chunks(chunk);
    let threads = worker_count();
    let mut buf = Zeroizing::new(vec![0u8; batch * sealed]);
    let mut lens = Vec::with_capacity(batch);
    let mut index: u64 = 0;
    let mut total: u64 = 0;
    let mut carried = false;
    loop {
        // Slot 0 may hold a full chunk carried from the previous batch.
        lens.clear();
        if carried {
            lens.push(chunk);
        }
        let mut eof = false;
        while lens.len() < batch {
            let at = lens.len() * sealed;
            let n = fill(reader, &mut buf[at..at + chunk])?;
            if n == 0 {
                eof = true;
                break;
            }
            lens.push(n);
            if n < chunk {
                eof = true;
                break;
            }
        }
        if eof && lens.is_empty() {
            lens.push(0); // the empty input's single, empty, final chunk
        }
        // Without end of input, the batch's last chunk waits: it may turn out to be final.
        let ready = if eof { lens.len() } else { lens.len() - 1 };
        if index + ready as u64 > u64::from(u32::MAX) + 1 {
            return Err(EnvelopeError::TooLarge);
        }
        let mut jobs: Vec<Job<'_>> = buf
            .chunks_mut(sealed)
            .zip(&lens)
            .take(ready)
            .enumerate()
            .map(|(k, (data, &len))| Job {
                index: index + k as u64,
                last: eof && k + 1 == ready,
                len,
                data,
                ok: false,
                done: false,
            })
            .collect();
        run_jobs(&mut jobs, threads, &|j| {
            j.ok = u32::try_from(j.index)
                .is_ok_and(|i| key.seal_chunk(i, j.last, j.data, j.len).is_ok());
        });
        for job in &jobs {
            if !job.ok {
                return Err(EnvelopeError::TooLarge);
            }
            writer.write_all(&job.data[..job.len + TAG_LEN])?;
            total += job.len as u64;
        }
        drop(jobs);
        index += ready as u64;
        progress(total);
        if eof {
            writer.flush()?;
            return Ok(total);
        }
        let from = ready * sealed;
        buf.copy_within(from..from + chunk, 0);
        carried = true;
    }
}

/// Decrypts the chunks after `header` (from [`read_header`]) to `writer`, checking the header
/// tag first. Each chunk is written only after its tag verified; `progress` receives the
/// plaintext bytes written so far. Returns the plaintext length. Batches of chunks are opened
/// in parallel on the available cores.
pub fn decrypt_stream<R: Read + ?Sized, W: Write + ?Sized>(
    data_key: &[u8],
    header: &EnvelopeHeader,
    reader: &mut R,
    writer: &mut W,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, EnvelopeError> {
    let key = FileKey::derive(data_key, &header.salt)?;
    if !key.check_header_tag(&header.bytes, &header.tag) {
        return Err(EnvelopeError::HeaderAuthentication);
    }
    let sealed = header.chunk_size as usize + TAG_LEN;
    let cap = batch_chunks(header.chunk_size as usize) * sealed;
    let threads = worker_count();
    // One byte more than a batch: seeing it proves the batch's last chunk is not the last.
    let mut buf = Zeroizing::new(vec![0u8; cap + 1]);
    let mut have = 0;
    let mut index: u64 = 0;
    let mut total: u64 = 0;
    loop {
        have += fill(reader, &mut buf[have..])?;
        let more = have > cap;
        let len = if more { cap } else { have };
        if len == 0 {
            return Err(EnvelopeError::Truncated { chunks: index });
        }
        let (body, _) = buf.split_at_mut(len);
        let count = len.div_ceil(sealed);
        let mut jobs: Vec<Job<'_>> = body
            .chunks_mut(sealed)
            .enumerate()
            .map(|(k, data)| Job {
                index: index + k as u64,
                last: !more && k + 1 == count,
                len: 0,
                data,
                ok: false,
                done: false,
            })
            .collect();
        run_jobs(&mut jobs, threads, &|j| j.ok = key.open_chunk(j.index, j.last, j.data));
        for job in &mut jobs {
            if !job.ok {
                if job.data.len() < TAG_LEN {
                    return Err(EnvelopeError::Truncated { chunks: job.index });
                }
                return Err(diagnose(&key, job.index, job.last, job.data));
            }
            let plain = job.data.len() - TAG_LEN;
            writer.write_all(&job.data[..plain])?;
            total += plain as u64;
        }
        drop(jobs);
        progress(total);
        if !more {
            writer.flush()?;
            return Ok(total);
        }
        index += count as u64;
        buf[0] = buf[cap];
        have = 1;
    }
}

/// Names what is wrong with a chunk that failed at `index` (error path only).
fn diagnose(key: &FileKey, index: u64, last: bool, chunk: &mut [u8]) -> EnvelopeError {
    if key.open_chunk(index, !last, chunk) {
        return if last {
            EnvelopeError::Truncated { chunks: index + 1 }
        } else {
            EnvelopeError::TrailingData { index }
        };
    }
    let from = index.saturating_sub(REORDER_WINDOW);
    for written in from..=index.saturating_add(REORDER_WINDOW) {
        if written != index
            && (key.open_chunk(written, false, chunk) || key.open_chunk(written, true, chunk))
        {
            return EnvelopeError::Reordered { index, written };
        }
    }
    EnvelopeError::ChunkAuthentication { index }
}
