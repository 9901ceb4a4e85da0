//! The response head (status line and headers) parsed by `httparse` as it
//! streams in, in a fixed-size buffer; the body passes through untouched.

use super::check::{merge, LengthValue};
use core::fmt;

/// Head buffer size of [`ResponseParser`] unless chosen otherwise.
pub const DEFAULT_HEAD_MAX: usize = 4096;
/// Most headers a response head may have.
pub const MAX_HEADERS: usize = 64;

/// Why a response could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseError {
    /// The status line is not `HTTP/1.x NNN reason` (the server does not speak HTTP).
    NotHttp,
    /// A header line is malformed.
    MalformedHeader,
    /// More than [`MAX_HEADERS`] headers.
    TooManyHeaders,
    /// The status line and headers do not fit the parser's head buffer.
    HeadTooLarge,
    /// The connection ended before the end of the headers (or sent nothing).
    Incomplete,
    /// A `Content-Length` value is not a number of bytes: negative, not
    /// digits, or too large (more than 64 bits). RFC 9112 §6.3: the
    /// framing is invalid, an unrecoverable error.
    InvalidContentLength,
    /// Two `Content-Length` headers (or list entries) with different values
    /// (RFC 9112 §6.3: an unrecoverable error).
    ConflictingContentLength,
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResponseError::NotHttp => "not an HTTP response (bad status line)",
            ResponseError::MalformedHeader => "malformed header line",
            ResponseError::TooManyHeaders => "too many headers",
            ResponseError::HeadTooLarge => "status line and headers too large for the head buffer",
            ResponseError::Incomplete => "connection closed before the end of the headers",
            ResponseError::InvalidContentLength => {
                "invalid Content-Length (not a number of bytes: negative, not digits, or too large)"
            }
            ResponseError::ConflictingContentLength => "two different Content-Length values",
        })
    }
}

impl core::error::Error for ResponseError {}

/// What one [`ResponseParser::push`] found in its chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed<'d> {
    /// Still inside the head; nothing to hand on yet.
    NeedMore,
    /// The head is complete ([`ResponseParser::head`]); `body` holds the
    /// body bytes that followed it in this chunk (maybe none).
    Head {
        /// The start of the body.
        body: &'d [u8],
    },
    /// The whole chunk is body.
    Body(&'d [u8]),
}

/// Byte ranges of one header's name and value in the head buffer.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    name: (usize, usize),
    value: (usize, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    Body { head_len: usize },
    Failed(ResponseError),
}

/// A streaming response parser with an `N`-byte head buffer: feed it the
/// raw chunks as they arrive; it keeps the head (at most `N` bytes, else
/// [`ResponseError::HeadTooLarge`]) and hands the body back chunk by chunk,
/// never buffering it. Its size is fixed: `N` plus about 2 KiB.
///
/// ```
/// use smolsock::http::{Parsed, ResponseParser};
/// let mut p = ResponseParser::<1024>::new();
/// assert_eq!(p.push(b"HTTP/1.0 404 Not Fo")?, Parsed::NeedMore);
/// assert_eq!(p.push(b"und\r\nContent-Length: 4\r\n\r\nno")?, Parsed::Head { body: b"no" });
/// assert_eq!(p.push(b"pe")?, Parsed::Body(b"pe"));
/// let head = p.head().unwrap();
/// assert_eq!((head.code(), head.reason()), (404, "Not Found"));
/// assert_eq!(head.header("content-length"), Some(&b"4"[..]));
/// assert_eq!(p.body_len(), 4);
/// p.finish()?;
/// # Ok::<(), smolsock::http::ResponseError>(())
/// ```
pub struct ResponseParser<const N: usize = DEFAULT_HEAD_MAX> {
    buf: [u8; N],
    len: usize,
    state: State,
    body: u64,
    code: u16,
    version: u8,
    reason: (usize, usize),
    spans: [Span; MAX_HEADERS],
    count: usize,
}

impl<const N: usize> fmt::Debug for ResponseParser<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseParser")
            .field("head_max", &N)
            .field("buffered", &self.len)
            .field("state", &self.state)
            .field("body", &self.body)
            .finish()
    }
}

impl<const N: usize> Default for ResponseParser<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> ResponseParser<N> {
    /// An empty parser, waiting for the status line.
    pub const fn new() -> Self {
        ResponseParser {
            buf: [0; N],
            len: 0,
            state: State::Head,
            body: 0,
            code: 0,
            version: 0,
            reason: (0, 0),
            spans: [Span {
                name: (0, 0),
                value: (0, 0),
            }; MAX_HEADERS],
            count: 0,
        }
    }

    /// Feed the next raw chunk. Once the head is complete every chunk is
    /// body; after an error every call returns that error again.
    pub fn push<'d>(&mut self, data: &'d [u8]) -> Result<Parsed<'d>, ResponseError> {
        match self.state {
            State::Failed(e) => return Err(e),
            State::Body { .. } => {
                self.body += data.len() as u64;
                return Ok(Parsed::Body(data));
            }
            State::Head => {}
        }
        let old = self.len;
        let free = self.buf.get_mut(old..).unwrap_or(&mut []);
        let take = free.len().min(data.len());
        for (dst, src) in free.iter_mut().zip(data) {
            *dst = *src;
        }
        self.len = old + take;
        let full = self.len >= N;
        // The head can only end at a newline; a full buffer must be judged now.
        if !full && !data.iter().take(take).any(|b| *b == b'\n') {
            return Ok(Parsed::NeedMore);
        }
        match self.parse() {
            Ok(Some(head_len)) => {
                self.state = State::Body { head_len };
                let body = data.get(head_len.saturating_sub(old)..).unwrap_or(&[]);
                self.body = body.len() as u64;
                Ok(Parsed::Head { body })
            }
            Ok(None) if !full => Ok(Parsed::NeedMore),
            Ok(None) => self.fail(ResponseError::HeadTooLarge),
            Err(e) => self.fail(e),
        }
    }

    fn fail<T>(&mut self, e: ResponseError) -> Result<T, ResponseError> {
        self.state = State::Failed(e);
        Err(e)
    }

    /// Run httparse over the buffered bytes: `Some(head length)` when complete.
    fn parse(&mut self) -> Result<Option<usize>, ResponseError> {
        let buf = self.buf.get(..self.len).unwrap_or(&[]);
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut resp = httparse::Response::new(&mut headers);
        let head_len = match resp.parse(buf).map_err(head_error)? {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => return Ok(None),
        };
        let base = buf.as_ptr() as usize;
        let span = |s: &[u8]| {
            let start = (s.as_ptr() as usize).wrapping_sub(base);
            (start, start + s.len())
        };
        self.code = resp.code.unwrap_or(0);
        self.version = resp.version.unwrap_or(0);
        self.reason = resp.reason.map_or((0, 0), |r| span(r.as_bytes()));
        self.count = resp.headers.len();
        for (dst, h) in self.spans.iter_mut().zip(resp.headers.iter()) {
            *dst = Span {
                name: span(h.name.as_bytes()),
                value: span(h.value),
            };
        }
        Ok(Some(head_len))
    }

    /// The status line and headers, once complete.
    pub fn head(&self) -> Option<Head<'_>> {
        let State::Body { head_len } = self.state else {
            return None;
        };
        let buf = self.buf.get(..head_len)?;
        Some(Head {
            buf,
            code: self.code,
            version: self.version,
            reason: text(buf, self.reason),
            spans: self.spans.get(..self.count).unwrap_or(&[]),
        })
    }

    /// Body bytes seen so far.
    pub fn body_len(&self) -> u64 {
        self.body
    }

    /// Call at end of stream: an error if the head never completed. What is
    /// still buffered is judged too, so the error does not depend on how the
    /// bytes were split (a bad byte after the last line end is
    /// `MalformedHeader` however it arrived).
    pub fn finish(&self) -> Result<(), ResponseError> {
        match self.state {
            State::Body { .. } => Ok(()),
            State::Failed(e) => Err(e),
            State::Head => {
                let buf = self.buf.get(..self.len).unwrap_or(&[]);
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                httparse::Response::new(&mut headers)
                    .parse(buf)
                    .map_err(head_error)?;
                Err(ResponseError::Incomplete)
            }
        }
    }
}

/// What an httparse error means for a response head.
fn head_error(e: httparse::Error) -> ResponseError {
    match e {
        httparse::Error::TooManyHeaders => ResponseError::TooManyHeaders,
        httparse::Error::HeaderName | httparse::Error::HeaderValue => {
            ResponseError::MalformedHeader
        }
        _ => ResponseError::NotHttp,
    }
}

fn bytes(buf: &[u8], (a, b): (usize, usize)) -> &[u8] {
    buf.get(a..b).unwrap_or(&[])
}

fn text(buf: &[u8], range: (usize, usize)) -> &str {
    core::str::from_utf8(bytes(buf, range)).unwrap_or("")
}

/// A complete response head, borrowed from its [`ResponseParser`].
#[derive(Clone, Copy)]
pub struct Head<'b> {
    buf: &'b [u8],
    code: u16,
    version: u8,
    reason: &'b str,
    spans: &'b [Span],
}

impl fmt::Debug for Head<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Head")
            .field("code", &self.code)
            .field("reason", &self.reason)
            .field("headers", &self.spans.len())
            .finish()
    }
}

impl<'b> Head<'b> {
    /// The status code (`200`, `404`, …).
    pub fn code(&self) -> u16 {
        self.code
    }

    /// The minor version: `0` for `HTTP/1.0`, `1` for `HTTP/1.1`.
    pub fn version(&self) -> u8 {
        self.version
    }

    /// The reason phrase (`OK`, `Not Found`, …).
    pub fn reason(&self) -> &'b str {
        self.reason
    }

    /// The head's raw bytes, status line to the blank line included.
    pub fn raw(&self) -> &'b [u8] {
        self.buf
    }

    /// The headers in order, as (name, value) with the value's surrounding
    /// whitespace removed.
    pub fn headers(&self) -> impl Iterator<Item = (&'b str, &'b [u8])> + 'b {
        let buf = self.buf;
        self.spans
            .iter()
            .map(move |s| (text(buf, s.name), bytes(buf, s.value)))
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'b [u8]> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The body length the `Content-Length` headers announce: `None`
    /// without one, an error when one is invalid or two differ (RFC 9112
    /// §6.3; the client refuses such a response, [`HttpError::BadResponse`]).
    ///
    /// [`HttpError::BadResponse`]: super::HttpError::BadResponse
    ///
    /// ```
    /// use smolsock::http::{Parsed, ResponseError, ResponseParser};
    /// let mut p = ResponseParser::<256>::new();
    /// p.push(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\nContent-Length: 3\r\n\r\n")?;
    /// let head = p.head().unwrap();
    /// assert_eq!(head.content_length(), Some(Err(ResponseError::ConflictingContentLength)));
    /// # Ok::<(), smolsock::http::ResponseError>(())
    /// ```
    pub fn content_length(&self) -> Option<Result<u64, ResponseError>> {
        self.headers()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .fold(None, |so_far, (_, v)| {
                let mut value = LengthValue::new();
                v.iter().for_each(|b| value.push(*b));
                Some(merge(so_far, value.finish()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nServer: t\r\nContent-Type:  text/plain \r\nContent-Length: 5\r\n\r\nhello";

    #[test]
    fn whole_response_in_one_chunk() {
        let mut p = ResponseParser::<256>::new();
        assert_eq!(p.push(OK), Ok(Parsed::Head { body: b"hello" }));
        let h = p.head().unwrap();
        assert_eq!((h.code(), h.version(), h.reason()), (200, 1, "OK"));
        assert_eq!(h.raw().len(), OK.len() - 5);
        let mut it = h.headers();
        assert_eq!(it.next(), Some(("Server", &b"t"[..])));
        assert_eq!(it.next(), Some(("Content-Type", &b"text/plain"[..])));
        assert_eq!(it.next(), Some(("Content-Length", &b"5"[..])));
        assert_eq!(it.next(), None);
        assert_eq!(h.content_length(), Some(Ok(5)));
        assert_eq!(h.header("x-none"), None);
        assert_eq!(p.body_len(), 5);
        assert_eq!(p.finish(), Ok(()));
    }

    #[test]
    fn byte_by_byte_gives_the_same_result() {
        let mut p = ResponseParser::<256>::new();
        let mut body = heapless::Vec::<u8, 16>::new();
        let mut heads = 0;
        for b in OK.chunks(1) {
            match p.push(b).unwrap() {
                Parsed::NeedMore => assert_eq!(heads, 0),
                Parsed::Head { body: rest } => {
                    heads += 1;
                    body.extend_from_slice(rest).unwrap();
                }
                Parsed::Body(x) => body.extend_from_slice(x).unwrap(),
            }
        }
        assert_eq!(heads, 1);
        assert_eq!(&body[..], b"hello");
        assert_eq!(
            p.head().unwrap().header("CONTENT-TYPE"),
            Some(&b"text/plain"[..])
        );
    }

    #[test]
    fn head_exactly_filling_the_buffer_is_fine() {
        let head = b"HTTP/1.0 204 No Content\r\n\r\n";
        let mut p = ResponseParser::<27>::new();
        assert_eq!(head.len(), 27);
        assert_eq!(p.push(head), Ok(Parsed::Head { body: b"" }));
        assert_eq!(p.push(b"xyz"), Ok(Parsed::Body(b"xyz")));
        assert_eq!(p.head().unwrap().code(), 204);
    }

    #[test]
    fn head_too_large_is_an_error_and_stays_one() {
        let mut p = ResponseParser::<64>::new();
        assert_eq!(p.push(b"HTTP/1.0 200 OK\r\nX-Big: "), Ok(Parsed::NeedMore));
        let filler = [b'a'; 1000];
        assert_eq!(p.push(&filler), Err(ResponseError::HeadTooLarge));
        assert_eq!(p.push(b"\r\n\r\n"), Err(ResponseError::HeadTooLarge));
        assert_eq!(p.finish(), Err(ResponseError::HeadTooLarge));
        assert!(p.head().is_none());
    }

    #[test]
    fn not_http() {
        for garbage in [
            &b"SSH-2.0-OpenSSH_9.6\r\n"[..],
            b"<html>hi</html>\n",
            b"HTTP/2 200\r\n\r\n",
            b"\x00\xff\xfe\n",
        ] {
            let mut p = ResponseParser::<64>::new();
            assert_eq!(p.push(garbage), Err(ResponseError::NotHttp), "{garbage:?}");
        }
        // Garbage without any newline is judged when the buffer fills.
        let mut p = ResponseParser::<16>::new();
        assert_eq!(p.push(&[b'z'; 100]), Err(ResponseError::NotHttp));
    }

    #[test]
    fn bad_headers_and_too_many() {
        let mut p = ResponseParser::<256>::new();
        assert_eq!(
            p.push(b"HTTP/1.0 200 OK\r\nBad Header: x\r\n\r\n"),
            Err(ResponseError::MalformedHeader)
        );
        let mut p = ResponseParser::<2048>::new();
        assert_eq!(p.push(b"HTTP/1.0 200 OK\r\n"), Ok(Parsed::NeedMore));
        let mut r = Ok(Parsed::NeedMore);
        for _ in 0..=MAX_HEADERS {
            r = p.push(b"A: b\r\n");
        }
        assert_eq!(r, Err(ResponseError::TooManyHeaders));
    }

    #[test]
    fn incomplete_at_eof() {
        let p = ResponseParser::<64>::new();
        assert_eq!(p.finish(), Err(ResponseError::Incomplete));
        let mut p = ResponseParser::<64>::new();
        p.push(b"HTTP/1.0 200 OK\r\n").unwrap();
        assert_eq!(p.finish(), Err(ResponseError::Incomplete));
    }

    #[test]
    fn size_is_bounded() {
        assert!(core::mem::size_of::<ResponseParser<4096>>() < 4096 + 3 * 1024);
    }
}
