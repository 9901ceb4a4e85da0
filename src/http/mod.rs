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
