//! The seed's client, fixed: resolve, connect, send the request, half-close,
//! read to EOF in chunks of at most 1024 bytes, all within one deadline.

use super::check::BodyCheck;
use super::{Parsed, Request, ResponseError, ResponseParser, Scheme, Url, UrlError};
use crate::{Domain, Error, ResolveError, Shutdown, SockAddr, Socket, Stack, Type};
use core::fmt;
use core::ops::ControlFlow;
use core::time::Duration;
use smoltcp::time::Instant;

/// The seed's deadline for the whole exchange.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// The largest chunk one `recv` asks for (the seed's `recv(1024)`).
pub const CHUNK: usize = 1024;

/// Why a GET failed. Each cause a user can act on has its own variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpError {
    /// The URL is malformed.
    BadUrl(UrlError),
    /// Neither an `http://` nor an `https://` URL.
    UnsupportedScheme,
    /// An `https://` URL where TLS is not available: smolsock built without
    /// the `tls` feature, or a call without TLS ([`Client::get_raw`],
    /// [`Client::get`]; `get_raw_tls`/`get_tls` take `https://`).
    HttpsNotSupported,
    /// The host name does not resolve (Python's `gaierror`).
    NameNotResolved,
    /// The URL names a host but the stack has no DNS server.
    NoDnsServer,
    /// Name resolution failed for another reason (no free query slot, …).
    Resolve(ResolveError),
    /// Nothing listens on that port (the host answered with a reset).
    ConnectionRefused,
    /// The deadline passed before the response was read to its end; the
    /// step it ran out in.
    TimedOut(Phase),
    /// The server reset the connection.
    ConnectionReset,
    /// The response is not HTTP, or its head is too large (parsing asked for).
    BadResponse(ResponseError),
    /// Another socket error (no free socket slot, …).
    Socket(Error),
    /// The caller's sink asked to stop.
    Aborted,
    /// The TLS connection failed (`https://`, feature `tls`).
    Tls(TlsFailure),
    /// The server closed the connection without sending a single byte
    /// (curl's "Empty reply from server", exit code 52).
    EmptyReply,
    /// The server closed the connection before the body reached the length
    /// its `Content-Length` header announced (curl's exit code 18).
    PartialBody {
        /// The body length the `Content-Length` header announced.
        expected: u64,
        /// The body bytes received before the connection ended.
        received: u64,
    },
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::BadUrl(e) => write!(f, "bad URL: {e}"),
            HttpError::UnsupportedScheme => {
                f.write_str("URL scheme not supported: only http:// and https:// are")
            }
            HttpError::HttpsNotSupported => f.write_str(if cfg!(feature = "tls") {
                "https:// is not supported by this call: use Client::get_raw_tls or get_tls"
            } else {
                "https:// is not supported: smolsock was built without the `tls` feature"
            }),
            HttpError::NameNotResolved => {
                f.write_str("name not resolved: name or service not known")
            }
            HttpError::NoDnsServer => f.write_str("name not resolved: no DNS server configured"),
            HttpError::Resolve(e) => write!(f, "name resolution failed: {e}"),
            HttpError::ConnectionRefused => f.write_str("connection refused"),
            HttpError::TimedOut(phase) => write!(f, "timed out {phase}"),
            HttpError::ConnectionReset => f.write_str("connection reset by peer"),
            HttpError::BadResponse(e) => write!(f, "bad HTTP response: {e}"),
            HttpError::Socket(e) => write!(f, "socket error: {e}"),
            HttpError::Aborted => f.write_str("stopped by the caller"),
            HttpError::Tls(e) => write!(f, "TLS: {e}"),
            HttpError::EmptyReply => {
                f.write_str("empty reply from server (it closed the connection without a byte)")
            }
            HttpError::PartialBody { expected, received } => write!(
                f,
                "partial body: the connection closed after {received} of the {expected} bytes its Content-Length announced"
            ),
        }
    }
}

/// The step of an exchange a deadline ran out in ([`HttpError::TimedOut`]).
///
/// ```
/// use smolsock::http::{HttpError, Phase};
/// assert_eq!(
///     HttpError::TimedOut(Phase::Resolve).to_string(),
///     "timed out while resolving the host name"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Asking the DNS server for the host's address.
    Resolve,
    /// The TCP handshake (no answer to the SYN).
    Connect,
    /// The TLS handshake (`https://`, feature `tls`).
    Handshake,
    /// Sending the request.
    Send,
    /// Waiting for the response, or for the rest of it.
    Receive,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Resolve => "while resolving the host name",
            Phase::Connect => "while connecting",
            Phase::Handshake => "during the TLS handshake",
            Phase::Send => "while sending the request",
            Phase::Receive => "while waiting for the response",
        })
    }
}

impl HttpError {
    /// Socket error `e` met in `phase`: a time-out says which step it was.
    pub(super) fn during(e: Error, phase: Phase) -> Self {
        match e {
            Error::TimedOut => HttpError::TimedOut(phase),
            e => e.into(),
        }
    }
}

/// Why a TLS connection failed (feature `tls`; see the README's HTTPS
/// section for what is verified).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsFailure {
    /// The server's certificate did not verify: not signed by the trusted
    /// CA, not issued for the host, outside its validity dates (checked
    /// with a clock only), or its handshake signature is wrong.
    Certificate,
    /// The certificate or the handshake uses a signature algorithm this
    /// build cannot verify (ECDSA P-256 with SHA-256 only).
    UnsupportedAlgorithm,
    /// The server ended the handshake with this TLS alert (e.g. 40: no
    /// common parameters; the client speaks TLS 1.3 only).
    Alert(u8),
    /// The server closed the connection during the handshake.
    ClosedInHandshake,
    /// A record or certificate did not fit the buffers.
    BufferTooSmall,
    /// A malformed or unexpected TLS message.
    Protocol,
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsFailure::Certificate => f.write_str(
                "certificate verification failed (not signed by the trusted CA, not for this host, or expired)",
            ),
            TlsFailure::UnsupportedAlgorithm => f.write_str(
                "certificate or handshake signed with an algorithm that cannot be verified here (only ECDSA P-256/SHA-256)",
            ),
            TlsFailure::Alert(code) => write!(f, "the server ended the handshake (alert {code})"),
            TlsFailure::ClosedInHandshake => {
                f.write_str("the server closed the connection during the handshake")
            }
            TlsFailure::BufferTooSmall => f.write_str("a TLS record does not fit the buffers"),
            TlsFailure::Protocol => f.write_str("malformed or unexpected TLS message"),
        }
    }
}

impl core::error::Error for TlsFailure {}

impl core::error::Error for HttpError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            HttpError::BadUrl(e) => Some(e),
            HttpError::Resolve(e) => Some(e),
            HttpError::BadResponse(e) => Some(e),
            HttpError::Socket(e) => Some(e),
            _ => None,
        }
    }
}

impl From<UrlError> for HttpError {
    fn from(e: UrlError) -> Self {
        match e {
            UrlError::UnsupportedScheme => HttpError::UnsupportedScheme,
            e => HttpError::BadUrl(e),
        }
    }
}

/// A socket error; a time-out counts as [`Phase::Receive`] (the client
/// itself names the phase of each of its calls).
impl From<Error> for HttpError {
    fn from(e: Error) -> Self {
        match e {
            Error::TimedOut => HttpError::TimedOut(Phase::Receive),
            Error::ConnectionRefused => HttpError::ConnectionRefused,
            Error::ConnectionReset => HttpError::ConnectionReset,
            e => HttpError::Socket(e),
        }
    }
}

impl From<ResolveError> for HttpError {
    fn from(e: ResolveError) -> Self {
        match e {
            ResolveError::NotFound | ResolveError::InvalidName => HttpError::NameNotResolved,
            ResolveError::NoServer => HttpError::NoDnsServer,
            ResolveError::TimedOut => HttpError::TimedOut(Phase::Resolve),
            e => HttpError::Resolve(e),
        }
    }
}

impl From<ResponseError> for HttpError {
    fn from(e: ResponseError) -> Self {
        HttpError::BadResponse(e)
    }
}

/// One piece of a parsed response, in order: the head once, then the body.
#[derive(Debug, Clone, Copy)]
pub enum Part<'r> {
    /// Status line and headers.
    Head(&'r super::Head<'r>),
    /// The next body bytes (never buffered whole).
    Body(&'r [u8]),
}

/// An HTTP/1.0 GET client on a [`Stack`]. One deadline ([`DEFAULT_TIMEOUT`]
/// unless set) bounds each exchange as a whole: resolving, connecting,
/// sending and reading to the end.
///
/// ```
/// use core::ops::ControlFlow;
/// use smolsock::http::{Client, HttpError};
/// use smolsock::{Config, SimClock, Stack, StackResources};
/// use smoltcp::phy::{Loopback, Medium};
///
/// let clock = SimClock::new();
/// let mut dev = Loopback::new(Medium::Ip);
/// let mut res = StackResources::<4, 2048>::new();
/// let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
///
/// let client = Client::new(&stack).with_timeout(core::time::Duration::from_secs(5));
/// // Nothing listens on port 8080 here.
/// let r = client.get_raw("http://127.0.0.1:8080/", |_chunk| ControlFlow::Continue(()));
/// assert_eq!(r, Err(HttpError::ConnectionRefused));
/// // https:// needs the `tls` feature and `Client::get_raw_tls`.
/// assert_eq!(client.get_raw("https://example.com/", |_| ControlFlow::Continue(())),
///            Err(HttpError::HttpsNotSupported));
/// ```
#[derive(Clone, Copy)]
pub struct Client<'s, 'a> {
    stack: &'s Stack<'a>,
    timeout: Duration,
}

impl fmt::Debug for Client<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<'s, 'a> Client<'s, 'a> {
    /// A client with the 20 s deadline.
    pub fn new(stack: &'s Stack<'a>) -> Self {
        Client {
            stack,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Set the deadline of each exchange.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The deadline of each exchange.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The seed's client: GET `url` and hand every raw chunk (status line,
    /// headers and body exactly as received, at most [`CHUNK`] bytes each) to
    /// `sink` until the server closes. Returns the byte count. The status is
    /// not looked at: a 404 is a response like any other.
    pub fn get_raw(
        &self,
        url: &str,
        sink: impl FnMut(&[u8]) -> ControlFlow<()>,
    ) -> Result<u64, HttpError> {
        self.send(url)?.read_raw(sink)
    }

    /// GET `url` and parse the response with `parser`: `on_part` gets the
    /// head once, then the body chunks. Returns the body length.
    /// [`HttpError::BadResponse`] when the server does not speak HTTP.
    pub fn get<const N: usize>(
        &self,
        url: &str,
        parser: &mut ResponseParser<N>,
        on_part: impl FnMut(Part<'_>) -> ControlFlow<()>,
    ) -> Result<u64, HttpError> {
        self.send(url)?.read(parser, on_part)
    }

    /// The first half of an exchange: resolve, connect, send the request and
    /// shut down the write side. The returned [`Response`] reads the answer
    /// within what is left of the deadline. Useful when the caller drives the
    /// server too (one thread, one stack).
    pub fn send(&self, url: &str) -> Result<Response<'s, 'a>, HttpError> {
        let url = Url::parse(url)?;
        if url.scheme() != Scheme::Http {
            return Err(HttpError::HttpsNotSupported);
        }
        let resp = self.connect(&url)?;
        let mut w = Writer {
            resp: &resp,
            buf: [0; 256],
            len: 0,
            err: None,
        };
        let written = fmt::write(&mut w, format_args!("{}", Request::get(&url)));
        match (written, w.err) {
            (_, Some(e)) => return Err(e),
            (Err(_), None) => return Err(HttpError::Socket(Error::InvalidInput)),
            (Ok(()), None) => w.flush()?,
        }
        // A failing shutdown means the connection already ended; the first
        // recv reports how (reset, or EOF after what the server sent).
        let _ = resp.sock.shutdown(Shutdown::Write);
        Ok(resp)
    }

    /// Resolve the URL's host and connect, all within a new deadline.
    pub(super) fn connect(&self, url: &Url<'_>) -> Result<Response<'s, 'a>, HttpError> {
        let deadline = self.stack.now() + crate::time::span(self.timeout);
        let stack = self.stack;
        let ip = match url.ip() {
            Some(ip) => ip,
            None => stack
                .resolve(
                    url.host(),
                    Some(remaining(stack, deadline, Phase::Resolve)?),
                )?
                .into(),
        };
        let to = SockAddr::new(ip, url.port());
        let sock = Socket::new(stack, Domain::for_address(to), Type::STREAM)?;
        let resp = Response {
            sock,
            deadline,
            eof: false,
        };
        resp.arm(Phase::Connect)?;
        resp.sock
            .connect(to)
            .map_err(|e| HttpError::during(e, Phase::Connect))?;
        Ok(resp)
    }
}

/// The request is sent; the response is read from here, within the
/// exchange's deadline. Dropping it closes the connection.
#[derive(Debug)]
pub struct Response<'s, 'a> {
    pub(super) sock: Socket<'s, 'a>,
    deadline: Instant,
    eof: bool,
}

impl Response<'_, '_> {
    /// When the exchange's deadline passes.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Set the socket's timeout to what is left of the deadline, for a call
    /// in `phase`.
    pub(super) fn arm(&self, phase: Phase) -> Result<(), HttpError> {
        let left = remaining(self.sock.stack(), self.deadline, phase)?;
        self.sock.set_timeout(Some(left))?;
        Ok(())
    }

    /// The next raw bytes, at most `min(buf.len(), CHUNK)`; `Ok(0)` at the end
    /// of the response (and for an empty `buf`). This low-level call does
    /// not judge the response; [`Response::read_raw`] and [`Response::read`]
    /// do.
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize, HttpError> {
        let len = buf.len().min(CHUNK);
        let Some(buf) = buf.get_mut(..len) else {
            return Ok(0);
        };
        if self.eof || buf.is_empty() {
            return Ok(0);
        }
        self.arm(Phase::Receive)?;
        let n = self
            .sock
            .recv(buf)
            .map_err(|e| HttpError::during(e, Phase::Receive))?;
        self.eof = n == 0;
        Ok(n)
    }

    /// Read to the end, handing each raw chunk to `sink`; the byte count.
    ///
    /// The bytes are not parsed, but the end is judged: a server that closes
    /// without sending a byte is [`HttpError::EmptyReply`]; an `HTTP/`
    /// response whose body stops short of its `Content-Length` is
    /// [`HttpError::PartialBody`] (all bytes that came were handed on
    /// first); one that ends inside its headers is
    /// [`HttpError::BadResponse`]`(`[`ResponseError::Incomplete`]`)`. An
    /// invalid `Content-Length` (negative, not a number, too large) or two
    /// different ones are [`HttpError::BadResponse`] as soon as the head
    /// ends: the chunk that completes the head is not handed on (RFC 9112
    /// §6.3: an unrecoverable error). A reset once the body has reached its
    /// `Content-Length` ends a complete response: `Ok`. A reply that does
    /// not start with `HTTP/` is handed on as it is, unjudged.
    pub fn read_raw(
        mut self,
        mut sink: impl FnMut(&[u8]) -> ControlFlow<()>,
    ) -> Result<u64, HttpError> {
        let mut chunk = [0u8; CHUNK];
        let mut total = 0u64;
        let mut check = BodyCheck::new();
        loop {
            let n = match self.recv(&mut chunk) {
                // A reset after the whole body is not a failure: the
                // response is complete (RFC 9112 §6.3; curl agrees).
                Err(HttpError::ConnectionReset) if check.complete() => 0,
                r => r?,
            };
            let Some(data) = chunk.get(..n).filter(|d| !d.is_empty()) else {
                check.finish()?;
                return Ok(total);
            };
            total += n as u64;
            check.push(data)?;
            if sink(data).is_break() {
                return Err(HttpError::Aborted);
            }
        }
    }

    /// Read to the end through `parser`: `on_part` gets the head once, then
    /// the body chunks. Returns the body length. The end is judged as in
    /// [`Response::read_raw`]; a reply that is not HTTP is
    /// [`HttpError::BadResponse`].
    pub fn read<const N: usize>(
        self,
        parser: &mut ResponseParser<N>,
        mut on_part: impl FnMut(Part<'_>) -> ControlFlow<()>,
    ) -> Result<u64, HttpError> {
        parsed(parser, |sink| self.read_raw(sink), &mut on_part)
    }
}

/// Run a raw read (`read`) through `parser`, handing the head and the body
/// chunks to `on_part`; the body length. Shared by the plain and TLS paths.
pub(super) fn parsed<const N: usize>(
    parser: &mut ResponseParser<N>,
    read: impl FnOnce(&mut dyn FnMut(&[u8]) -> ControlFlow<()>) -> Result<u64, HttpError>,
    on_part: &mut dyn FnMut(Part<'_>) -> ControlFlow<()>,
) -> Result<u64, HttpError> {
    let mut failed = None;
    let r = read(&mut |chunk| match parser.push(chunk) {
        Ok(Parsed::NeedMore) => ControlFlow::Continue(()),
        Ok(Parsed::Head { body }) => match parser.head() {
            Some(head) => match on_part(Part::Head(&head)) {
                ControlFlow::Continue(()) if !body.is_empty() => on_part(Part::Body(body)),
                flow => flow,
            },
            None => ControlFlow::Continue(()),
        },
        Ok(Parsed::Body(body)) => on_part(Part::Body(body)),
        Err(e) => {
            failed = Some(e);
            ControlFlow::Break(())
        }
    });
    match (r, failed) {
        (_, Some(e)) => Err(e.into()),
        (Err(e), None) => Err(e),
        (Ok(_), None) => {
            parser.finish()?;
            Ok(parser.body_len())
        }
    }
}

/// Sends formatted text through the socket in pieces, without a heap.
struct Writer<'r, 's, 'a> {
    resp: &'r Response<'s, 'a>,
    buf: [u8; 256],
    len: usize,
    err: Option<HttpError>,
}

impl Writer<'_, '_, '_> {
    fn flush(&mut self) -> Result<(), HttpError> {
        let data = self.buf.get(..self.len).unwrap_or(&[]);
        self.len = 0;
        if !data.is_empty() {
            self.resp.arm(Phase::Send)?;
            self.resp
                .sock
                .send_all(data)
                .map_err(|e| HttpError::during(e, Phase::Send))?;
        }
        Ok(())
    }
}

impl fmt::Write for Writer<'_, '_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if self.len == self.buf.len() {
                if let Err(e) = self.flush() {
                    self.err = Some(e);
                    return Err(fmt::Error);
                }
            }
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
        Ok(())
    }
}

/// What is left until `deadline`, never zero (zero would mean non-blocking).
fn remaining(stack: &Stack<'_>, deadline: Instant, phase: Phase) -> Result<Duration, HttpError> {
    let now = stack.now();
    if now >= deadline {
        return Err(HttpError::TimedOut(phase));
    }
    Ok(crate::time::from_smol(deadline - now))
}
