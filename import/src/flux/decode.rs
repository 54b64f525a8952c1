//! Streaming text decoding: a file is read in fixed-size chunks and turned
//! into UTF-8 on the fly, so that memory does not grow with the file.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Counts the bytes read from the file (for the progress bar).
pub struct Counting<R> {
    inner: R,
    pub read: Arc<AtomicU64>,
}

impl<R: Read> Counting<R> {
    pub fn new(inner: R) -> Self {
        Counting {
            inner,
            read: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// UTF-8 input with its BOM, if any, dropped.
pub struct SkipBom<R> {
    inner: R,
    head: Vec<u8>,
    started: bool,
}

impl<R: Read> SkipBom<R> {
    pub fn new(inner: R) -> Self {
        SkipBom {
            inner,
            head: Vec::new(),
            started: false,
        }
    }
}

impl<R: Read> Read for SkipBom<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.started {
            self.started = true;
            let mut first = [0u8; 3];
            let mut filled = 0;
            while filled < 3 {
                let n = self.inner.read(&mut first[filled..])?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            if &first[..filled] != b"\xEF\xBB\xBF" {
                self.head.extend_from_slice(&first[..filled]);
            }
        }
        if !self.head.is_empty() {
            let n = self.head.len().min(buf.len());
            buf[..n].copy_from_slice(&self.head[..n]);
            self.head.drain(..n);
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

/// Windows-1252 input decoded to UTF-8 chunk by chunk (encoding_rs's
/// streaming decoder: a chunk boundary never splits a character).
pub struct Windows1252<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    output: Vec<u8>,
    out_pos: usize,
    done: bool,
}

impl<R: Read> Windows1252<R> {
    pub fn new(inner: R) -> Self {
        Windows1252 {
            inner,
            decoder: encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling(),
            input: vec![0; 64 * 1024],
            output: Vec::with_capacity(3 * 64 * 1024 + 16),
            out_pos: 0,
            done: false,
        }
    }
}

impl<R: Read> Read for Windows1252<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_pos >= self.output.len() {
            if self.done {
                return Ok(0);
            }
            let n = self.inner.read(&mut self.input)?;
            let last = n == 0;
            self.output.clear();
            self.out_pos = 0;
            // Every Windows-1252 byte becomes at most 3 UTF-8 bytes.
            self.output.resize(3 * n + 16, 0);
            let (_, _, written, _) =
                self.decoder
                    .decode_to_utf8(&self.input[..n], &mut self.output, last);
            self.output.truncate(written);
            if last {
                self.done = true;
            }
        }
        let n = (self.output.len() - self.out_pos).min(buf.len());
        buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// The UTF-8 text that a Windows-1252 reading garbled, if `cell` is one
/// ("erronÃ©" was "erroné"): its Windows-1252 bytes hold non-ASCII ones
/// that form valid UTF-8, which a real Windows-1252 text almost never does.
pub fn misread_utf8(cell: &str) -> Option<String> {
    if cell.is_ascii() {
        return None;
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(cell);
    if unmappable {
        return None;
    }
    String::from_utf8(bytes.into_owned()).ok()
}

/// Drops the `\r` of `\r\n` line ends, so that the CSV reader counts
/// lines the way an editor shows them (it counts a CRLF file's lines one late).
pub struct StripCr<R> {
    inner: R,
    input: Vec<u8>,
    output: Vec<u8>,
    out_pos: usize,
    held_cr: bool,
    done: bool,
}

impl<R: Read> StripCr<R> {
    pub fn new(inner: R) -> Self {
        StripCr {
            inner,
            input: vec![0; 64 * 1024],
            output: Vec::with_capacity(64 * 1024 + 1),
            out_pos: 0,
            held_cr: false,
            done: false,
        }
    }
}

impl<R: Read> Read for StripCr<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_pos >= self.output.len() {
            if self.done {
                return Ok(0);
            }
            let n = self.inner.read(&mut self.input)?;
            self.output.clear();
            self.out_pos = 0;
            if n == 0 {
                self.done = true;
                if self.held_cr {
                    self.output.push(b'\r'); // a lone trailing \r is kept
                    self.held_cr = false;
                }
                continue;
            }
            for &b in &self.input[..n] {
                if self.held_cr {
                    self.held_cr = false;
                    if b != b'\n' {
                        self.output.push(b'\r');
                    }
                }
                if b == b'\r' {
                    self.held_cr = true;
                } else {
                    self.output.push(b);
                }
            }
        }
        let n = (self.output.len() - self.out_pos).min(buf.len());
        buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(mut r: impl Read) -> String {
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn windows_1252_streams() {
        let bytes = b"Soci\xe9t\xe9;\x80;N\xb0 facture\n".repeat(10_000);
        let text = read_all(Windows1252::new(&bytes[..]));
        assert_eq!(text, "Société;€;N° facture\n".repeat(10_000));
    }

    #[test]
    fn utf8_read_as_windows_1252_is_recognised() {
        let utf8 = "Montant erroné, TVA à 20 % oubliée — 12 €";
        let (garbled, _, _) = encoding_rs::WINDOWS_1252.decode(utf8.as_bytes());
        assert_eq!(misread_utf8(&garbled).as_deref(), Some(utf8));
        assert_eq!(misread_utf8("DÃ©posÃ©e").as_deref(), Some("Déposée"));
        // Real Windows-1252 text, and ASCII, are what they seem.
        let text = read_all(Windows1252::new(
            &b"Soci\xe9t\xe9 \x80 N\xb0 \xc0 \xe9t\xe9"[..],
        ));
        assert_eq!(misread_utf8(&text), None);
        assert_eq!(misread_utf8("FAC-001"), None);
    }

    #[test]
    fn crlf_becomes_lf_across_reads() {
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        let input = b"a;b\r\n1;2\r\n\r\nx\ry\r";
        assert_eq!(read_all(StripCr::new(&input[..])), "a;b\n1;2\n\nx\ry\r");
        assert_eq!(read_all(StripCr::new(OneByte(input))), "a;b\n1;2\n\nx\ry\r");
    }

    #[test]
    fn bom_dropped_only_when_there() {
        assert_eq!(read_all(SkipBom::new(&b"\xEF\xBB\xBFa;b"[..])), "a;b");
        assert_eq!(read_all(SkipBom::new(&b"a;b"[..])), "a;b");
        assert_eq!(read_all(SkipBom::new(&b"a"[..])), "a");
    }
}
