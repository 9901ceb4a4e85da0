//! `https://` through embedded-tls: TLS 1.3, blocking, no heap.
//!
//! The TLS connection runs over the same socket and deadline as a plain
//! exchange: every read and write of the record layer sets the socket's
//! timeout to what is left of the one deadline. Certificates are verified
//! by embedded-tls's `rustpki` verifier against one trusted CA certificate
//! unless [`Verify::Insecure`] is chosen; see the README for what that
//! verifier checks and what it does not.

use super::check::BodyCheck;
use super::client::{parsed, Client, HttpError, Part, Phase, Response, TlsFailure, CHUNK};
use super::{Request, ResponseParser, Scheme, Url};
use crate::Error;
use core::cell::Cell;
use core::fmt;
use core::marker::PhantomData;
use core::ops::ControlFlow;
use embedded_tls::blocking::{
    Aes128GcmSha256, Certificate, CryptoProvider, TlsConfig, TlsConnection, TlsContext, TlsError,
    TlsVerifier,
};
use embedded_tls::pki::CertVerifier;

/// The random number generator trait TLS needs (`rand_core` 0.6's
/// `CryptoRng + RngCore`, re-exported from embedded-tls): firmware passes its
/// hardware RNG, Linux programs `rand_core::OsRng`.
pub use embedded_tls::CryptoRngCore;

/// Where certificate validity dates come from: `now()` is the Unix time in
/// seconds, or `None` (embedded-tls's trait, re-exported). With
/// [`NoClock`] (the default of [`Https`]) dates are not checked; on Linux
/// `SystemClock` (feature `std`) checks them against the system time.
pub use embedded_tls::{NoClock, TlsClock};

/// The system's calendar time for certificate validity dates (feature `std`).
#[cfg(feature = "std")]
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[cfg(feature = "std")]
impl TlsClock for SystemClock {
    fn now() -> Option<u64> {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs())
    }
}

/// Size of the record read buffer: the largest TLS record (16 KiB of
/// plaintext plus 256 bytes of expansion and the 5-byte header) fits.
pub const TLS_READ_BUF: usize = 16640;
/// Size of the record write buffer: the ClientHello and the request.
pub const TLS_WRITE_BUF: usize = 4096;
/// Room for the server's certificate chain while it is verified.
const CERT_CHAIN_MAX: usize = 4096;

/// The memory of one TLS connection, `READ + WRITE` bytes, no heap: put it
/// in a `static` (firmware) or a `Box` (Linux). A read buffer smaller than
/// [`TLS_READ_BUF`] fails on servers that send full-size records
/// ([`TlsFailure::BufferTooSmall`]).
pub struct TlsBuffers<const READ: usize = TLS_READ_BUF, const WRITE: usize = TLS_WRITE_BUF> {
    read: [u8; READ],
    write: [u8; WRITE],
}

impl<const READ: usize, const WRITE: usize> TlsBuffers<READ, WRITE> {
    /// Zeroed buffers.
    pub const fn new() -> Self {
        TlsBuffers {
            read: [0; READ],
            write: [0; WRITE],
        }
    }
}

impl<const READ: usize, const WRITE: usize> Default for TlsBuffers<READ, WRITE> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const READ: usize, const WRITE: usize> fmt::Debug for TlsBuffers<READ, WRITE> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsBuffers")
            .field("read", &READ)
            .field("write", &WRITE)
            .finish()
    }
}

/// How the server is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify<'c> {
    /// Verify the server's certificate chain against this CA certificate
    /// (DER), and the certificate's names against the URL's host.
    Ca(&'c [u8]),
    /// No verification at all (`http_get --insecure`): the connection is
    /// encrypted but the server is not authenticated.
    Insecure,
}

/// What an `https://` exchange needs beyond a plain one: the buffers, a
/// random number generator, the trust setting and (type `C`) the clock for
/// certificate validity dates. One `Https` serves any number of exchanges,
/// one at a time.
pub struct Https<'b, R, C = NoClock> {
    read: &'b mut [u8],
    write: &'b mut [u8],
    rng: R,
    verify: Verify<'b>,
    clock: PhantomData<C>,
}

impl<R, C> fmt::Debug for Https<'_, R, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Https")
            .field("read", &self.read.len())
            .field("write", &self.write.len())
            .field("verify", &self.verify)
            .finish()
    }
}

impl<'b, R: CryptoRngCore> Https<'b, R> {
    /// TLS in `buffers`, with `rng` for the key exchange, verifying as
    /// `verify` says; certificate validity dates are not checked (no clock:
    /// see [`Https::with_clock`]).
    pub fn new<const READ: usize, const WRITE: usize>(
        buffers: &'b mut TlsBuffers<READ, WRITE>,
        rng: R,
        verify: Verify<'b>,
    ) -> Self {
        Https {
            read: &mut buffers.read,
            write: &mut buffers.write,
            rng,
            verify,
            clock: PhantomData,
        }
    }
}

impl<'b, R: CryptoRngCore, C: TlsClock> Https<'b, R, C> {
    /// Check certificate validity dates (`notBefore`, `notAfter` of every
    /// certificate in the chain) against clock `C2`'s Unix time, e.g.
    /// `SystemClock` (feature `std`) on Linux or a clock over an RTC in firmware.
    pub fn with_clock<C2: TlsClock>(self) -> Https<'b, R, C2> {
        Https {
            read: self.read,
            write: self.write,
            rng: self.rng,
            verify: self.verify,
            clock: PhantomData,
        }
    }
}

/// What the transport saw, kept outside the TLS connection that owns it.
#[derive(Default)]
struct Seen {
    eof: Cell<bool>,
    error: Cell<Option<HttpError>>,
}

/// The socket under TLS, each call within what is left of the deadline.
struct Transport<'r, 's, 'a> {
    resp: &'r Response<'s, 'a>,
    seen: &'r Seen,
}

impl Transport<'_, '_, '_> {
    fn fail(&self, e: HttpError) -> Error {
        self.seen.error.set(Some(e));
        match e {
            HttpError::TimedOut(_) => Error::TimedOut,
            HttpError::ConnectionReset => Error::ConnectionReset,
            HttpError::ConnectionRefused => Error::ConnectionRefused,
            HttpError::Socket(e) => e,
            _ => Error::InvalidInput,
        }
    }
}

impl embedded_io::ErrorType for Transport<'_, '_, '_> {
    type Error = Error;
}

impl embedded_io::Read for Transport<'_, '_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.resp.arm(Phase::Receive).map_err(|e| self.fail(e))?;
        match self.resp.sock.recv(buf) {
            Ok(0) => {
                self.seen.eof.set(true);
                Ok(0)
            }
            Ok(n) => Ok(n),
            Err(e) => Err(self.fail(HttpError::during(e, Phase::Receive))),
        }
    }
}

impl embedded_io::Write for Transport<'_, '_, '_> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.resp.arm(Phase::Send).map_err(|e| self.fail(e))?;
        self.resp
            .sock
            .send(buf)
            .map_err(|e| self.fail(HttpError::during(e, Phase::Send)))
    }

    /// Queued data goes out as the stack runs; nothing to wait for here.
    fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

type Verifier<'c, C> = CertVerifier<'c, Aes128GcmSha256, C, CERT_CHAIN_MAX>;

/// embedded-tls's view of the RNG and the verifier.
struct Provider<'c, R, C: TlsClock> {
    rng: &'c mut R,
    verifier: Option<Verifier<'c, C>>,
}

impl<R: CryptoRngCore, C: TlsClock> CryptoProvider for Provider<'_, R, C> {
    type CipherSuite = Aes128GcmSha256;
    type Signature = &'static [u8];

    fn rng(&mut self) -> impl CryptoRngCore {
        &mut *self.rng
    }

    fn verifier(&mut self) -> Result<&mut impl TlsVerifier<Self::CipherSuite>, TlsError> {
        self.verifier.as_mut().ok_or(TlsError::Unimplemented)
    }
}

/// A TLS error as the client reports it; `seen` tells a socket error or an
/// end of stream apart from a protocol failure.
fn tls_error(e: TlsError, seen: &Seen, handshake: bool) -> HttpError {
    if let Some(e) = seen.error.get() {
        return match e {
            HttpError::TimedOut(_) if handshake => HttpError::TimedOut(Phase::Handshake),
            e => e,
        };
    }
    let failure = match e {
        TlsError::IoError if seen.eof.get() && handshake => TlsFailure::ClosedInHandshake,
        TlsError::InvalidCertificate | TlsError::InvalidSignature => TlsFailure::Certificate,
        TlsError::InvalidSignatureScheme => TlsFailure::UnsupportedAlgorithm,
        TlsError::HandshakeAborted(_, desc) | TlsError::AbortHandshake(_, desc) => {
            TlsFailure::Alert(desc as u8)
        }
        TlsError::InsufficientSpace | TlsError::OutOfMemory => TlsFailure::BufferTooSmall,
        _ => TlsFailure::Protocol,
    };
    HttpError::Tls(failure)
}

/// Formats the request into the TLS connection without a heap.
struct TlsWriter<'t, 'b, 'r, 's, 'a> {
    tls: &'t mut TlsConnection<'b, Transport<'r, 's, 'a>, Aes128GcmSha256>,
    err: Option<TlsError>,
}

impl fmt::Write for TlsWriter<'_, '_, '_, '_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s.as_bytes();
        while !rest.is_empty() {
            match self.tls.write(rest) {
                Ok(n) if n > 0 => rest = rest.get(n..).unwrap_or(&[]),
                Ok(_) => {
                    self.err = Some(TlsError::InsufficientSpace);
                    return Err(fmt::Error);
                }
                Err(e) => {
                    self.err = Some(e);
                    return Err(fmt::Error);
                }
            }
        }
        Ok(())
    }
}

impl<'s, 'a> Client<'s, 'a> {
    /// [`Client::get_raw`] for `http://` and `https://` URLs (feature `tls`):
    /// over TLS 1.3, the decrypted response goes to `sink` in raw chunks of
    /// at most [`CHUNK`] bytes, judged at the end as `get_raw` does. The
    /// handshake, the request and the response share the one deadline.
    /// The response ends with the server's `close_notify` or, without one,
    /// with the end of the TCP stream (a body cut short of its
    /// `Content-Length` is still [`HttpError::PartialBody`]).
    pub fn get_raw_tls<R: CryptoRngCore, C: TlsClock>(
        &self,
        url: &str,
        tls: &mut Https<'_, R, C>,
        mut sink: impl FnMut(&[u8]) -> ControlFlow<()>,
    ) -> Result<u64, HttpError> {
        let parsed = Url::parse(url)?;
        if parsed.scheme() == Scheme::Http {
            return self.get_raw(url, sink);
        }
        let resp = self.connect(&parsed)?;
        let seen = Seen::default();
        let transport = Transport {
            resp: &resp,
            seen: &seen,
        };
        let mut conn: TlsConnection<'_, _, Aes128GcmSha256> =
            TlsConnection::new(transport, tls.read, tls.write);
        // SNI and name verification for a host name; an IP literal is sent
        // no SNI (RFC 6066) and is matched against the certificate's names
        // as text.
        let mut config = TlsConfig::new();
        if parsed.ip().is_none() {
            config = config.with_server_name(parsed.host());
        }
        let verifier = match tls.verify {
            Verify::Ca(der) => {
                let mut v = Verifier::<C>::new(Certificate::X509(der));
                if parsed.ip().is_some() {
                    TlsVerifier::<Aes128GcmSha256>::set_hostname_verification(
                        &mut v,
                        parsed.host(),
                    )
                    .map_err(|_| HttpError::Tls(TlsFailure::Certificate))?;
                }
                Some(v)
            }
            Verify::Insecure => None,
        };
        let provider = Provider {
            rng: &mut tls.rng,
            verifier,
        };
        conn.open(TlsContext::new(&config, provider))
            .map_err(|e| tls_error(e, &seen, true))?;

        let mut w = TlsWriter {
            tls: &mut conn,
            err: None,
        };
        if fmt::write(&mut w, format_args!("{}", Request::get(&parsed))).is_err() {
            let e = w.err.unwrap_or(TlsError::EncodeError);
            return Err(tls_error(e, &seen, false));
        }
        conn.flush().map_err(|e| tls_error(e, &seen, false))?;

        let mut chunk = [0u8; CHUNK];
        let mut total = 0u64;
        let mut check = BodyCheck::new();
        loop {
            match conn.read(&mut chunk) {
                Ok(n) => {
                    let data = chunk.get(..n).unwrap_or(&[]);
                    if data.is_empty() {
                        continue;
                    }
                    total += data.len() as u64;
                    check.push(data)?;
                    if sink(data).is_break() {
                        return Err(HttpError::Aborted);
                    }
                }
                // close_notify: the orderly end of a TLS response.
                Err(TlsError::ConnectionClosed) => break,
                // The TCP stream ended without close_notify.
                Err(TlsError::IoError) if seen.eof.get() && seen.error.get().is_none() => break,
                // A reset after the whole body: the response is complete.
                Err(_)
                    if check.complete() && seen.error.get() == Some(HttpError::ConnectionReset) =>
                {
                    break
                }
                Err(e) => return Err(tls_error(e, &seen, false)),
            }
        }
        check.finish()?;
        Ok(total)
    }

    /// [`Client::get`] for `http://` and `https://` URLs (feature `tls`):
    /// the decrypted response parsed by `parser`, `on_part` gets the head
    /// once, then the body chunks. Returns the body length.
    pub fn get_tls<R: CryptoRngCore, C: TlsClock, const N: usize>(
        &self,
        url: &str,
        tls: &mut Https<'_, R, C>,
        parser: &mut ResponseParser<N>,
        mut on_part: impl FnMut(Part<'_>) -> ControlFlow<()>,
    ) -> Result<u64, HttpError> {
        parsed(
            parser,
            |sink| self.get_raw_tls(url, tls, sink),
            &mut on_part,
        )
    }
}
