//! Threaded file I/O for encrypt-file/decrypt-file: a reader thread and a writer thread move
//! large buffers through bounded channels, so reading, AES-GCM and writing overlap. Buffers are
//! recycled, so the pipeline allocates a few of them once instead of touching fresh pages.

use std::fs::File;
use std::io::{self, Read, Write};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

/// Bytes per buffer moved between threads.
pub(crate) const BUF: usize = 4 << 20;
/// Buffers in flight per direction.
const DEPTH: usize = 3;

fn joined<T>(h: JoinHandle<io::Result<T>>) -> io::Result<T> {
    h.join().map_err(|_| io::Error::other("the i/o thread failed"))?
}

/// Reads a file on its own thread; hands out filled buffers.
pub(crate) struct PipeReader {
    rx: Receiver<io::Result<Vec<u8>>>,
    back: Sender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
    eof: bool,
    handle: Option<JoinHandle<io::Result<()>>>,
}

impl std::fmt::Debug for PipeReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeReader").field("eof", &self.eof).finish_non_exhaustive()
    }
}

/// Fills `buf` from `file` until it is full or the file ends.
fn fill(file: &mut File, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.resize(BUF, 0);
    let mut n = 0;
    while n < BUF {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(n);
    Ok(())
}

impl PipeReader {
    pub(crate) fn new(mut file: File) -> io::Result<PipeReader> {
        let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(DEPTH);
        let (back, back_rx) = channel::<Vec<u8>>();
        let handle =
            std::thread::Builder::new().name("keyward-read".into()).spawn(move || loop {
                let mut buf = back_rx.try_recv().unwrap_or_default();
                let r = fill(&mut file, &mut buf);
                let done = r.as_ref().map_or(true, |()| buf.is_empty());
                if tx.send(r.map(|()| buf)).is_err() || done {
                    return Ok(());
                }
            })?;
        Ok(PipeReader { rx, back, cur: Vec::new(), pos: 0, eof: false, handle: Some(handle) })
    }

    /// The next buffer of the file (empty at the end); give it back with [`PipeReader::recycle`].
    pub(crate) fn next_buf(&mut self) -> io::Result<Vec<u8>> {
        if self.pos < self.cur.len() {
            let rest = self.cur.split_off(self.pos);
            self.pos = 0;
            return Ok(rest);
        }
        if self.eof {
            return Ok(Vec::new());
        }
        match self.rx.recv() {
            Ok(Ok(buf)) => {
                self.eof = buf.is_empty();
                Ok(buf)
            }
            Ok(Err(e)) => {
                self.eof = true;
                Err(e)
            }
            Err(_) => {
                self.eof = true;
                Ok(Vec::new())
            }
        }
    }

    /// Returns a buffer for reuse.
    pub(crate) fn recycle(&mut self, buf: Vec<u8>) {
        let _ = self.back.send(buf);
    }
}

impl Read for PipeReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.cur.len() {
            if self.eof {
                return Ok(0);
            }
            let old = std::mem::take(&mut self.cur);
            self.recycle(old);
            self.pos = 0;
            self.cur = self.next_buf()?;
        }
        let n = out.len().min(self.cur.len() - self.pos);
        out[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Drop for PipeReader {
    fn drop(&mut self) {
        // Unblock the thread (its sends fail once the receiver is gone), then wait for it.
        let (_, dead) = sync_channel(0);
        drop(std::mem::replace(&mut self.rx, dead));
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Writes to a file on its own thread; [`PipeWriter::finish`] returns the file once all is
/// written.
pub(crate) struct PipeWriter {
    tx: Option<SyncSender<Vec<u8>>>,
    back: Receiver<Vec<u8>>,
    buf: Vec<u8>,
    handle: Option<JoinHandle<io::Result<File>>>,
}

impl std::fmt::Debug for PipeWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeWriter").field("buffered", &self.buf.len()).finish_non_exhaustive()
    }
}

impl PipeWriter {
    pub(crate) fn new(mut file: File) -> io::Result<PipeWriter> {
        let (tx, rx) = sync_channel::<Vec<u8>>(DEPTH);
        let (back_tx, back) = channel::<Vec<u8>>();
        let handle = std::thread::Builder::new().name("keyward-write".into()).spawn(move || {
            for mut buf in rx {
                file.write_all(&buf)?;
                buf.clear();
                let _ = back_tx.send(buf);
            }
            Ok(file)
        })?;
        Ok(PipeWriter { tx: Some(tx), back, buf: Vec::with_capacity(BUF), handle: Some(handle) })
    }

    /// The writer thread's error, once it has stopped.
    fn failure(&mut self) -> io::Error {
        self.tx = None;
        match self.handle.take().map(joined) {
            Some(Err(e)) => e,
            _ => io::Error::other("the writer thread stopped"),
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = self.back.try_recv().unwrap_or_else(|_| Vec::with_capacity(BUF));
        let full = std::mem::replace(&mut self.buf, next);
        let sent = self.tx.as_ref().map(|tx| tx.send(full).is_ok());
        if sent == Some(true) {
            Ok(())
        } else {
            Err(self.failure())
        }
    }

    /// Writes what is buffered, waits for the thread, and returns the file.
    pub(crate) fn finish(mut self) -> io::Result<File> {
        self.send()?;
        self.tx = None;
        match self.handle.take() {
            Some(h) => joined(h),
            None => Err(io::Error::other("the writer thread stopped")),
        }
    }
}

impl Write for PipeWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= BUF {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Durability comes from `finish` + `sync_all`; a flush only hands the buffer over.
        self.send()
    }
}

impl Drop for PipeWriter {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
