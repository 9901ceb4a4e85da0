//! The seed's HTTP/1.0 GET client, with the seed's bugs fixed.
//!
//! The seed connects to `www.yahoo.com:80` with a 20 s timeout, sends a GET,
//! calls `shutdown(SHUT_WR)` and prints `recv(1024)` chunks until the server
//! closes. This module does the same on a [`Stack`](crate::Stack), correctly:
//! `HTTP/1.0` (not `HTML/1.0`), `\r\n` line ends, a `Host` header, the
//! half-close on the socket, names resolved through the stack's DNS servers,
//! and one deadline for the whole exchange.
//!
//! - [`Url`]: `http://host[:port]/path?query` (names, IPv4, `[IPv6]`).
//! - [`Request`]: the exact request bytes.
//! - [`ResponseParser`]: status line and headers through `httparse`, in a
//!   fixed-size buffer; the body streams through.
//! - [`Client`]: [`Client::get_raw`] (the seed: raw chunks to a sink),
//!   [`Client::get`] (parsed: head, then body chunks), [`Client::send`]
//!   (request sent, read the [`Response`] later).
//! - With the `tls` feature, `https://` through embedded-tls (TLS 1.3, no
//!   heap): `Client::get_raw_tls` and `Client::get_tls` with an `Https`
//!   setup (buffers, a random number generator, and a CA certificate or
//!   `Verify::Insecure`). Without it, `https://` is
//!   [`HttpError::HttpsNotSupported`].
//!
//! No heap is used anywhere; errors are [`HttpError`], one variant per cause.
//! A failed exchange is never a success: a server that closes without a
//! byte is [`HttpError::EmptyReply`], a body cut short of its
//! `Content-Length` is [`HttpError::PartialBody`].
//!
//! ## Raw or parsed
//!
//! `Client::get_raw` hands over the raw bytes as received; `Client::get`
//! parses the status line and headers with `httparse` in a fixed-size buffer
//! (`ResponseParser<4096>`) and streams the body, never buffering it. Both judge the end of the
//! exchange: `HttpError::EmptyReply` when nothing came, `HttpError::PartialBody { expected,
//! received }` when an `HTTP/` response's body stops short of its `Content-Length` (a small
//! byte-by-byte scanner, no head buffer, so raw mode still never buffers), `BadResponse(Incomplete)`
//! when it ends inside its headers. A reply that does not start with `HTTP/` is handed on unjudged
//! in raw mode (the seed prints whatever came).
//!
//! ## HTTPS (feature `tls`)
//!
//! `https://` goes through [embedded-tls](https://docs.rs/embedded-tls) 0.19: TLS 1.3, blocking,
//! no heap. In code: `Client::get_raw_tls(url, &mut https, sink)` or `Client::get_tls(url,
//! &mut https, &mut parser, on_part)`, with `Https::new(&mut buffers, rng, Verify::Ca(der))` (or
//! `Verify::Insecure`, which turns verification off: encrypted, but the server is not
//! authenticated). There is no system trust store: one CA, given explicitly. The memory is the
//! caller's: `TlsBuffers` (16 640 bytes of record read buffer, enough for any TLS record, and
//! 4 096 of write buffer) in a `static` or a `Box`, plus a copy of the server's certificate
//! message (up to 4 KiB) on the stack during the handshake. The random numbers for the key
//! exchange come from the caller's RNG (`rand_core` 0.6 `CryptoRng + RngCore`: a hardware RNG in
//! firmware, `rand_core::OsRng` on Linux). The one deadline covers the TLS handshake too;
//! failures are `HttpError::Tls(TlsFailure::…)`.
//!
//! What is verified when a CA is given (embedded-tls's `rustpki` verifier, as built here):
//!
//! - the chain: each certificate the server sends is signed by the one before it, the first by
//!   the given CA certificate;
//! - the handshake signature (`CertificateVerify`): the server holds the certificate's key;
//! - the host name: the URL's host against the certificate's DNS names (the first 3
//!   `subjectAltName` dNSName entries, each at most 64 bytes — a host listed 4th or later is
//!   refused — then the common name), `*` wildcards allowed;
//! - signature algorithms: **ECDSA P-256 with SHA-256 only** (certificates, CA and handshake).
//!   P-384 and Ed25519 would need embedded-tls's optional `p384`/`ed25519` features (not
//!   enabled), RSA its `rsa` feature, which needs a heap. Anything else is
//!   `TlsFailure::UnsupportedAlgorithm`; `--insecure` still reaches such a server;
//! - validity dates (`notBefore`/`notAfter` of each certificate) **only with a calendar clock**:
//!   `http_get` checks them against the system time (`Https::with_clock::<SystemClock>()`,
//!   feature `std`); in firmware, `with_clock::<C>()` with a `TlsClock` over an RTC. The stack
//!   itself has no calendar time, so `Https::new` alone (`NoClock`) does not check them.
//!
//! What is **not** checked: the CA flag, path length, key usage and extended key usage of
//! the chain, name constraints, issuer/subject name chaining (only the signatures), revocation
//! (CRL, OCSP). IP addresses: `iPAddress` entries are not read, so an `https://` URL with an IP
//! literal verifies only against a common name or dNSName written as that text — use a name, or
//! `--insecure`. The protocol: TLS 1.3 only, cipher suite TLS_AES_128_GCM_SHA256, key exchange
//! on P-256; a server that supports none of these ends the handshake (usually with an alert,
//! `TlsFailure::Alert`). A response ends at the server's `close_notify` or at the end of the TCP
//! stream (a body short of its `Content-Length` is still `PartialBody`). Known embedded-tls limit: a post-handshake
//! message other than a session ticket (a `KeyUpdate`) makes embedded-tls 0.19 panic
//! (`unimplemented!`) instead of returning an error.
//!
//! `interop/tests/clients/https.rs` fetches pages from a rustls 0.23 server with an `rcgen` test CA on the same
//! `Loopback` stack (simulated time): byte-exact pages and a 1 MiB body, a wrong CA and a wrong
//! name refused, P-384 and Ed25519 certificates `UnsupportedAlgorithm`, `--insecure`'s
//! `Verify::Insecure` accepted, validity dates with a clock and without, empty reply and partial
//! body over TLS, the deadline. `interop/tests/clients/http_get_cli.rs` also runs `http_get` over a real TAP device against
//! OpenSSL (Python's `ssl`): verified with `--cacert`, refused with another CA, `--insecure`.

mod check;
mod client;
mod request;
mod response;
#[cfg(feature = "tls")]
mod tls;
mod url;

pub use client::{Client, HttpError, Part, Phase, Response, TlsFailure, CHUNK, DEFAULT_TIMEOUT};
pub use request::{Request, USER_AGENT};
pub use response::{Head, Parsed, ResponseError, ResponseParser, DEFAULT_HEAD_MAX, MAX_HEADERS};
#[cfg(all(feature = "tls", feature = "std"))]
pub use tls::SystemClock;
#[cfg(feature = "tls")]
pub use tls::{
    CryptoRngCore, Https, NoClock, TlsBuffers, TlsClock, Verify, TLS_READ_BUF, TLS_WRITE_BUF,
};
pub use url::{Scheme, Url, UrlError, DEFAULT_HTTPS_PORT, DEFAULT_PORT};
