//! Progress of one artifact call, reported to the caller's callback as (bytes moved so far, bytes
//! the whole call moves): a directory upload or download is one transfer, not one per file, so a
//! progress bar fills once. Reports are throttled (every [`REPORT_STEP`] bytes, plus the first
//! and the last), so a callback into Python, Java or R costs nothing measurable per block.
//!
//! A transfer runs on the caller's thread (object stores too: their runtime is driven by
//! `block_on` on that thread), so the callback need not be `Send`: bindings call back into
//! interpreters that must be entered from the thread that called them.

use std::cell::Cell;
use std::io::{self, Read, Write};

/// Bytes between two reports.
pub const REPORT_STEP: u64 = 1 << 20;

/// The block a counted copy moves at a time.
const COPY_BLOCK: usize = 256 * 1024;

/// The caller's callback: `(done, total)`. `total` is 0 while unknown (a single-file download
/// before the store says its size); `done` never exceeds `total` once `total` is known.
pub type ProgressFn<'a> = &'a dyn Fn(u64, u64);

/// The running count of one call. [`Progress::none`] when nobody listens.
pub struct Progress<'a> {
    callback: Option<ProgressFn<'a>>,
    total: Cell<u64>,
    done: Cell<u64>,
    /// The last (done, total) reported: the same pair is never reported twice.
    reported: Cell<Option<(u64, u64)>>,
    /// The total was announced by the planner (sum of a tree's sizes): a file's own size
    /// discovered later must not be added to it again.
    planned: Cell<bool>,
}

impl<'a> Progress<'a> {
    pub fn new(callback: Option<ProgressFn<'a>>) -> Progress<'a> {
        Progress {
            callback,
            total: Cell::new(0),
            done: Cell::new(0),
            reported: Cell::new(None),
            planned: Cell::new(false),
        }
    }

    /// Nobody listens.
    pub fn none() -> Progress<'static> {
        Progress::new(None)
    }

    /// The whole call moves `total` bytes (known up front: the files of a tree to upload, or a
    /// checked listing to download).
    pub fn plan(&self, total: u64) {
        self.total.set(total);
        self.planned.set(true);
        self.report(true);
    }

    /// One file's size, learned as its transfer starts: counts only when nothing was planned.
    pub fn discovered(&self, size: u64) {
        if !self.planned.get() {
            self.total.set(self.total.get() + size);
            self.report(true);
        }
    }

    /// `n` more bytes moved.
    pub fn advance(&self, n: u64) {
        self.done.set(self.done.get() + n);
        if self.done.get() > self.total.get() && self.planned.get() {
            // A file grew while it was being logged: never report more done than total.
            self.total.set(self.done.get());
        }
        self.report(false);
    }

    /// A retried attempt starts over: what the failed one counted (`n` bytes) is taken back.
    pub fn rewind(&self, n: u64) {
        self.done.set(self.done.get().saturating_sub(n));
    }

    /// Bytes counted so far.
    pub fn done(&self) -> u64 {
        self.done.get()
    }

    /// The last report of a successful call (`done == total`).
    pub fn finish(&self) {
        if self.done.get() > self.total.get() {
            self.total.set(self.done.get());
        }
        self.report(true);
    }

    fn report(&self, force: bool) {
        let Some(callback) = self.callback else { return };
        let (done, total) = (self.done.get(), self.total.get());
        let due = match self.reported.get() {
            None => true,
            Some(last) if last == (done, total) => false,
            Some((last, _)) => force || done >= last + REPORT_STEP || done == total,
        };
        if due {
            self.reported.set(Some((done, total)));
            callback(done, total);
        }
    }

    /// Copies `from` to `to`, counting the bytes. Without a listener this is `io::copy` (which
    /// lets the kernel copy file to file); with one, blocks of [`COPY_BLOCK`] bytes.
    pub fn copy<R: Read, W: Write>(&self, from: &mut R, to: &mut W) -> io::Result<u64> {
        if self.callback.is_none() {
            let n = io::copy(from, to)?;
            self.advance(n);
            return Ok(n);
        }
        let mut buf = vec![0u8; COPY_BLOCK];
        let mut copied = 0u64;
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) => return Ok(copied),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            to.write_all(&buf[..n])?;
            copied += n as u64;
            self.advance(n as u64);
        }
    }

    /// A reader counting what passes through it.
    pub fn reader<R: Read>(&self, inner: R) -> CountingReader<'_, R> {
        CountingReader { inner, progress: self, counted: 0 }
    }

    /// A writer counting what passes through it.
    pub fn writer<W: Write>(&self, inner: W) -> CountingWriter<'_, W> {
        CountingWriter { inner, progress: self, counted: 0 }
    }
}

pub struct CountingReader<'a, R> {
    inner: R,
    progress: &'a Progress<'a>,
    /// Bytes this reader counted (taken back with [`Progress::rewind`] if its attempt fails).
    pub counted: u64,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counted += n as u64;
        self.progress.advance(n as u64);
        Ok(n)
    }
}

pub struct CountingWriter<'a, W> {
    inner: W,
    progress: &'a Progress<'a>,
    pub counted: u64,
}

impl<W: Write> Write for CountingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.counted += n as u64;
        self.progress.advance(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn reports_are_throttled_and_end_at_the_total() {
        let seen = RefCell::new(Vec::new());
        let record = |d: u64, t: u64| seen.borrow_mut().push((d, t));
        let p = Progress::new(Some(&record));
        p.plan(3 * REPORT_STEP + 10);
        for _ in 0..(3 * REPORT_STEP + 10) / 1000 {
            p.advance(1000);
        }
        p.advance((3 * REPORT_STEP + 10) % 1000);
        p.finish();
        p.finish();
        let seen = seen.into_inner();
        assert!(seen.windows(2).all(|w| w[0] != w[1]), "no report twice: {seen:?}");
        assert_eq!(seen.first(), Some(&(0, 3 * REPORT_STEP + 10)));
        assert_eq!(seen.last(), Some(&(3 * REPORT_STEP + 10, 3 * REPORT_STEP + 10)));
        assert!(seen.len() <= 6, "{seen:?}");
        assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0));
    }

    #[test]
    fn discovered_sizes_add_up_unless_planned() {
        let p = Progress::none();
        p.discovered(5);
        p.discovered(7);
        assert_eq!(p.total.get(), 12);
        p.plan(100);
        p.discovered(5);
        assert_eq!(p.total.get(), 100);
        p.advance(10);
        p.rewind(4);
        assert_eq!(p.done(), 6);
    }
}
