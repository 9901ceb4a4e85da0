//! Judges a raw response as it streams past, in a few bytes of state: was
//! anything received at all, is its framing valid, and did the body reach
//! its `Content-Length`?
//!
//! The raw client hands bytes on untouched and never buffers the head, so
//! this is a small byte-by-byte scanner rather than a parser: it only looks
//! at the status code and the `Content-Length` headers. A reply that does
//! not start with `HTTP/` is not judged (raw mode prints whatever the
//! server sent, as the seed does).
//!
//! `Content-Length` follows RFC 9112 §6.3 (5): a value that is not a
//! number of bytes (negative, not digits, too large for 64 bits) or two
//! different values make the framing invalid, an unrecoverable error; a
//! list of one value repeated (`5, 5`, or the same header twice) is that
//! value (RFC 9110 §8.6). [`LengthValue`] reads one value, [`merge`]
//! combines the headers; the parsed [`Head::content_length`] uses both too.
//!
//! [`Head::content_length`]: super::Head::content_length

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

/// One `Content-Length` field value read byte by byte: `1*DIGIT`, with
/// optional whitespace around it, or a comma-separated list of such values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LengthValue {
    /// The element being read.
    cur: u64,
    digits: bool,
    /// Whitespace came after the digits: another digit is an error.
    ended: bool,
    /// The value of the elements before this one, all equal.
    list: Option<u64>,
    /// Why the value is invalid, once it is.
    bad: Option<ResponseError>,
}

impl LengthValue {
    pub(crate) const fn new() -> Self {
        LengthValue {
            cur: 0,
            digits: false,
            ended: false,
            list: None,
            bad: None,
        }
    }

    /// The next byte of the value (not the line end).
    pub(crate) fn push(&mut self, b: u8) {
        if self.bad.is_some() {
            return;
        }
        match b {
            b'0'..=b'9' if !self.ended => {
                self.digits = true;
                match self
                    .cur
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(b - b'0')))
                {
                    Some(v) => self.cur = v,
                    None => self.bad = Some(ResponseError::InvalidContentLength),
                }
            }
            b' ' | b'\t' | b'\r' => self.ended = self.digits,
            b',' => self.element(),
            _ => self.bad = Some(ResponseError::InvalidContentLength),
        }
    }

    /// Close the element read so far.
    fn element(&mut self) {
        if self.bad.is_some() {
            return;
        }
        if !self.digits {
            self.bad = Some(ResponseError::InvalidContentLength);
            return;
        }
        if self.list.is_some_and(|v| v != self.cur) {
            self.bad = Some(ResponseError::ConflictingContentLength);
            return;
        }
        *self = LengthValue {
            list: Some(self.cur),
            ..LengthValue::new()
        };
    }

    /// The value at the end of the field.
    pub(crate) fn finish(mut self) -> Result<u64, ResponseError> {
        self.element();
        match (self.bad, self.list) {
            (Some(e), _) => Err(e),
            (None, Some(v)) => Ok(v),
            (None, None) => Err(ResponseError::InvalidContentLength),
        }
    }
}

/// What the `Content-Length` headers so far and the next one's value say
/// together: the first error stays; two different lengths conflict.
pub(crate) fn merge(
    so_far: Option<Result<u64, ResponseError>>,
    next: Result<u64, ResponseError>,
) -> Result<u64, ResponseError> {
    match (so_far, next) {
        (Some(Err(e)), _) | (_, Err(e)) => Err(e),
        (Some(Ok(a)), Ok(b)) if a != b => Err(ResponseError::ConflictingContentLength),
        (_, Ok(b)) => Ok(b),
    }
}

/// The judge of one response.
#[derive(Debug, Clone)]
pub(crate) struct BodyCheck {
    state: State,
    total: u64,
    body: u64,
    /// The status line's first 12 bytes (`HTTP/1.0 200`).
    status: [u8; 12],
    /// What the `Content-Length` headers say, once there is one.
    length: Option<Result<u64, ResponseError>>,
    /// The `Content-Length` value being read.
    value: LengthValue,
}

impl BodyCheck {
    pub(crate) const fn new() -> Self {
        BodyCheck {
            state: State::Magic(0),
            total: 0,
            body: 0,
            status: [0; 12],
            length: None,
            value: LengthValue::new(),
        }
    }

    /// The next raw bytes. An error once the head is complete and its
    /// framing is invalid (the caller stops there and hands nothing more
    /// on); [`BodyCheck::finish`] reports it again.
    pub(crate) fn push(&mut self, data: &[u8]) -> Result<(), HttpError> {
        self.total = self.total.saturating_add(data.len() as u64);
        for (i, &b) in data.iter().enumerate() {
            match self.state {
                State::Body => {
                    let rest = data.len().saturating_sub(i) as u64;
                    self.body = self.body.saturating_add(rest);
                    break;
                }
                State::NotHttp => break,
                _ => self.byte(b),
            }
        }
        self.framing()
    }

    /// The head's framing error, once the head is complete.
    fn framing(&self) -> Result<(), HttpError> {
        match (self.state, self.length) {
            (State::Body, Some(Err(e))) => Err(HttpError::BadResponse(e)),
            _ => Ok(()),
        }
    }

    /// The body has reached its `Content-Length` (or the status has no
    /// body): the response is complete, however the connection ends.
    pub(crate) fn complete(&self) -> bool {
        self.state == State::Body
            && (self.bodiless() || matches!(self.length, Some(Ok(n)) if self.body >= n))
    }

    /// 1xx, 204 and 304 have no body whatever the header says.
    fn bodiless(&self) -> bool {
        matches!(self.code(), Some(100..=199 | 204 | 304))
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
                    self.value = LengthValue::new();
                    State::Value
                } else {
                    State::Name(n + 1)
                }
            }
            _ => State::Skip,
        }
    }

    fn value(&mut self, b: u8) -> State {
        if b == b'\n' {
            self.length = Some(merge(self.length, self.value.finish()));
            return State::LineStart;
        }
        self.value.push(b);
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
                self.framing()?;
                match self.length {
                    Some(Ok(expected)) if !self.bodiless() && self.body < expected => {
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

    /// The first error `push` or `finish` gives; a `push` error stays.
    fn judge<'c>(chunks: impl IntoIterator<Item = &'c [u8]>) -> Result<(), HttpError> {
        let mut c = BodyCheck::new();
        for ch in chunks {
            if let Err(e) = c.push(ch) {
                assert_eq!(c.finish(), Err(e));
                return Err(e);
            }
        }
        c.finish()
    }

    fn bytewise(all: &[u8]) -> Result<(), HttpError> {
        judge(all.chunks(1))
    }

    #[test]
    fn verdicts() {
        let partial = |expected, received| Err(HttpError::PartialBody { expected, received });
        let invalid = Err(HttpError::BadResponse(ResponseError::InvalidContentLength));
        let conflict = Err(HttpError::BadResponse(
            ResponseError::ConflictingContentLength,
        ));
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
            // RFC 9112 §6.3 (5): an invalid Content-Length is an
            // unrecoverable error (before: all of these were accepted).
            (b"HTTP/1.0 200 OK\r\nContent-Length: 1 2\r\n\r\nab", invalid),
            (b"HTTP/1.0 200 OK\r\nContent-Length: x\r\n\r\nab", invalid),
            (b"HTTP/1.0 200 OK\r\nContent-Length: \r\n\r\nab", invalid),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: -1\r\n\r\nhello",
                invalid,
            ),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: +5\r\n\r\nhello",
                invalid,
            ),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 5,\r\n\r\nhello",
                invalid,
            ),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nhello",
                invalid,
            ),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\nhello",
                invalid,
            ),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\nContent-Length: 1\r\n\r\nab",
                conflict,
            ),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 5, 3\r\n\r\nhello",
                conflict,
            ),
            (
                b"HTTP/1.0 204 No Content\r\nContent-Length: -3\r\n\r\n",
                invalid,
            ),
            // One value repeated is that value (RFC 9110 §8.6).
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello",
                Ok(()),
            ),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 5 , 5\r\n\r\nhel",
                partial(5, 3),
            ),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nab",
                partial(u64::MAX, 2),
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
            assert_eq!(judge([*bytes]), *want, "{:?}", bytes.escape_ascii());
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
        assert_eq!(
            c.push(b"HTTP/1.0 200 OK\r\nContent-Length: 3000\r\n\r\n"),
            Ok(())
        );
        for _ in 0..2 {
            assert_eq!(c.push(&[b'x'; 1000]), Ok(()));
            assert!(!c.complete());
        }
        assert_eq!(
            c.finish(),
            Err(HttpError::PartialBody {
                expected: 3000,
                received: 2000
            })
        );
        assert_eq!(c.push(&[b'x'; 1000]), Ok(()));
        assert!(c.complete());
        assert_eq!(c.finish(), Ok(()));
    }

    #[test]
    fn complete_only_once_the_length_is_reached() {
        let mut c = BodyCheck::new();
        assert!(!c.complete());
        c.push(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\no")
            .unwrap();
        assert!(!c.complete());
        c.push(b"k").unwrap();
        assert!(c.complete());
        // Without a length the end is the connection's end: never complete early.
        let mut c = BodyCheck::new();
        c.push(b"HTTP/1.0 200 OK\r\n\r\nabc").unwrap();
        assert!(!c.complete());
        let mut c = BodyCheck::new();
        c.push(b"HTTP/1.0 204 No Content\r\n\r\n").unwrap();
        assert!(c.complete());
        let mut c = BodyCheck::new();
        c.push(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n").unwrap();
        assert!(!c.complete());
    }

    #[test]
    fn the_framing_error_comes_as_soon_as_the_head_ends() {
        let mut c = BodyCheck::new();
        assert_eq!(c.push(b"HTTP/1.0 200 OK\r\nContent-Length: -1\r\n"), Ok(()));
        assert_eq!(
            c.push(b"\r\nhello"),
            Err(HttpError::BadResponse(ResponseError::InvalidContentLength))
        );
    }

    #[test]
    fn one_length_value() {
        let value = |v: &[u8]| {
            let mut l = LengthValue::new();
            v.iter().for_each(|b| l.push(*b));
            l.finish()
        };
        assert_eq!(value(b"0"), Ok(0));
        assert_eq!(value(b" 42\t"), Ok(42));
        assert_eq!(value(b"7,7, 7"), Ok(7));
        assert_eq!(value(b"7,8"), Err(ResponseError::ConflictingContentLength));
        for bad in [
            &b""[..],
            b" ",
            b"-0",
            b"0x10",
            b"1e3",
            b",",
            b"4,,4",
            b"1 2",
        ] {
            assert_eq!(
                value(bad),
                Err(ResponseError::InvalidContentLength),
                "{bad:?}"
            );
        }
        assert_eq!(merge(None, Ok(3)), Ok(3));
        assert_eq!(merge(Some(Ok(3)), Ok(3)), Ok(3));
        assert_eq!(
            merge(Some(Ok(3)), Ok(4)),
            Err(ResponseError::ConflictingContentLength)
        );
        assert_eq!(
            merge(Some(Err(ResponseError::InvalidContentLength)), Ok(4)),
            Err(ResponseError::InvalidContentLength)
        );
    }
}
