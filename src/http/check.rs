//! Judges a raw response as it streams past, in a few bytes of state: was
//! anything received at all, and did the body reach its `Content-Length`?
//!
//! The raw client hands bytes on untouched and never buffers the head, so
//! this is a small byte-by-byte scanner rather than a parser: it only looks
//! at the status code and the first `Content-Length` header. A reply that
//! does not start with `HTTP/` is not judged (raw mode prints whatever the
//! server sent, as the seed does).

use super::HttpError;
use super::ResponseError;

const NAME: &[u8] = b"content-length:";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The first bytes, compared with `HTTP/`.
    Magic(u8),
    /// In the status line: the bytes seen so far of `HTTP/x.y NNN`.
    Status(u8),
    /// At the start of a header line (or of the blank line ending the head).
    LineStart,
    /// After a `\r` at the start of a line.
    BlankCr,
    /// Matching a header name against `content-length:`.
    Name(u8),
    /// In `Content-Length`'s value.
    Value,
    /// Skipping the rest of a line.
    Skip,
    /// In the body.
    Body,
    /// Not an HTTP response: nothing to judge.
    NotHttp,
}

/// The judge of one response.
#[derive(Debug, Clone)]
pub(crate) struct BodyCheck {
    state: State,
    total: u64,
    body: u64,
    /// The status line's first 12 bytes (`HTTP/1.0 200`).
    status: [u8; 12],
    /// The first `Content-Length`: `Some(Some(n))` valid, `Some(None)` invalid.
    length: Option<Option<u64>>,
    /// The value being read; `None` once it is not a number.
    value: Option<u64>,
    digits: bool,
    trailing_space: bool,
}

impl BodyCheck {
    pub(crate) const fn new() -> Self {
        BodyCheck {
            state: State::Magic(0),
            total: 0,
            body: 0,
            status: [0; 12],
            length: None,
            value: Some(0),
            digits: false,
            trailing_space: false,
        }
    }

    /// The next raw bytes.
    pub(crate) fn push(&mut self, data: &[u8]) {
        self.total = self.total.saturating_add(data.len() as u64);
        for (i, &b) in data.iter().enumerate() {
            match self.state {
                State::Body => {
                    let rest = data.len().saturating_sub(i) as u64;
                    self.body = self.body.saturating_add(rest);
                    return;
                }
                State::NotHttp => return,
                _ => self.byte(b),
            }
        }
    }

    fn byte(&mut self, b: u8) {
        self.state = match self.state {
            State::Magic(n) => {
                if b"HTTP/".get(usize::from(n)) != Some(&b) {
                    State::NotHttp
                } else if n == 4 {
                    if let Some(s) = self.status.get_mut(..5) {
                        s.copy_from_slice(b"HTTP/");
                    }
                    State::Status(5)
                } else {
                    State::Magic(n + 1)
                }
            }
            State::Status(_) if b == b'\n' => State::LineStart,
            State::Status(n) => {
                if let Some(slot) = self.status.get_mut(usize::from(n)) {
                    *slot = b;
                }
                State::Status(n.saturating_add(1))
            }
            State::LineStart | State::BlankCr if b == b'\n' => State::Body,
            State::LineStart if b == b'\r' => State::BlankCr,
            State::LineStart => self.name(0, b),
            State::Name(n) => self.name(n, b),
            State::Value => self.value(b),
            State::Skip | State::BlankCr if b == b'\n' => State::LineStart,
            State::Skip | State::BlankCr => State::Skip,
            s @ (State::Body | State::NotHttp) => s,
        };
    }

    fn name(&mut self, n: u8, b: u8) -> State {
        if b == b'\n' {
            return State::LineStart;
        }
        match NAME.get(usize::from(n)) {
            Some(want) if b.to_ascii_lowercase() == *want => {
                if usize::from(n) + 1 == NAME.len() {
                    (self.value, self.digits, self.trailing_space) = (Some(0), false, false);
                    State::Value
                } else {
                    State::Name(n + 1)
                }
            }
            _ => State::Skip,
        }
    }

    fn value(&mut self, b: u8) -> State {
        match b {
            b'\n' => {
                if self.length.is_none() {
                    self.length = Some(self.value.filter(|_| self.digits));
                }
                return State::LineStart;
            }
            b'\r' => {}
            b' ' | b'\t' => self.trailing_space = self.digits,
            b'0'..=b'9' if !self.trailing_space => {
                self.digits = true;
                self.value = self
                    .value
                    .and_then(|v| v.checked_mul(10))
                    .and_then(|v| v.checked_add(u64::from(b - b'0')));
            }
            _ => self.value = None,
        }
        State::Value
    }

    /// The status code, once the status line is complete and valid.
    fn code(&self) -> Option<u16> {
        let s = &self.status;
        if s.get(8) != Some(&b' ') {
            return None;
        }
        let digits = s.get(9..12)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        core::str::from_utf8(digits).ok()?.parse().ok()
    }

    /// The verdict at the end of the stream.
    pub(crate) fn finish(&self) -> Result<(), HttpError> {
        if self.total == 0 {
            return Err(HttpError::EmptyReply);
        }
        match self.state {
            State::NotHttp | State::Magic(_) => Ok(()),
            State::Body => {
                // 1xx, 204 and 304 have no body whatever the header says.
                let bodiless = matches!(self.code(), Some(100..=199 | 204 | 304));
                match self.length {
                    Some(Some(expected)) if !bodiless && self.body < expected => {
                        Err(HttpError::PartialBody {
                            expected,
                            received: self.body,
                        })
                    }
                    _ => Ok(()),
                }
            }
            _ => Err(HttpError::BadResponse(ResponseError::Incomplete)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(chunks: &[&[u8]]) -> Result<(), HttpError> {
        let mut c = BodyCheck::new();
        for ch in chunks {
            c.push(ch);
        }
        c.finish()
    }

    fn bytewise(all: &[u8]) -> Result<(), HttpError> {
        let mut c = BodyCheck::new();
        for b in all.chunks(1) {
            c.push(b);
        }
        c.finish()
    }

    #[test]
    fn verdicts() {
        let partial = |expected, received| Err(HttpError::PartialBody { expected, received });
        let cases: &[(&[u8], Result<(), HttpError>)] = &[
            (b"", Err(HttpError::EmptyReply)),
            (b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello", Ok(())),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhell",
                partial(5, 4),
            ),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n",
                partial(5, 0),
            ),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello world",
                Ok(()),
            ),
            (
                b"HTTP/1.1 200 OK\nCONTENT-length:\t7 \n\nabc",
                partial(7, 3),
            ),
            (b"HTTP/1.0 200 OK\r\nX-Content-Length: 9\r\n\r\nab", Ok(())),
            (b"HTTP/1.0 200 OK\r\nContent-Length: 1 2\r\n\r\nab", Ok(())),
            (b"HTTP/1.0 200 OK\r\nContent-Length: x\r\n\r\nab", Ok(())),
            (b"HTTP/1.0 200 OK\r\nContent-Length: \r\n\r\nab", Ok(())),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nab",
                Ok(()),
            ),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\nContent-Length: 1\r\n\r\nab",
                partial(3, 2),
            ),
            (
                b"HTTP/1.0 204 No Content\r\nContent-Length: 3\r\n\r\n",
                Ok(()),
            ),
            (
                b"HTTP/1.0 304 Not Modified\r\nContent-Length: 3\r\n\r\n",
                Ok(()),
            ),
            (b"HTTP/1.0 200 OK\r\n\r\nno length, read to EOF", Ok(())),
            (
                b"HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\nnot",
                partial(9, 3),
            ),
            (b"SSH-2.0-OpenSSH_9.6\r\n", Ok(())),
            (b"HTT", Ok(())),
            (
                b"HTTP/1.0 200 OK\r\nContent-Le",
                Err(HttpError::BadResponse(ResponseError::Incomplete)),
            ),
            (
                b"HTTP/1.0 200 OK\r\n",
                Err(HttpError::BadResponse(ResponseError::Incomplete)),
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(judge(&[bytes]), *want, "{:?}", bytes.escape_ascii());
            assert_eq!(
                bytewise(bytes),
                *want,
                "bytewise {:?}",
                bytes.escape_ascii()
            );
        }
    }

    #[test]
    fn a_huge_body_in_chunks() {
        let mut c = BodyCheck::new();
        c.push(b"HTTP/1.0 200 OK\r\nContent-Length: 3000\r\n\r\n");
        for _ in 0..2 {
            c.push(&[b'x'; 1000]);
        }
        assert_eq!(
            c.finish(),
            Err(HttpError::PartialBody {
                expected: 3000,
                received: 2000
            })
        );
        c.push(&[b'x'; 1000]);
        assert_eq!(c.finish(), Ok(()));
    }
}
