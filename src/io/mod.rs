//! Standard I/O traits for smolsock sockets and stacks.
//!
//! | Trait family | On | Feature |
//! |---|---|---|
//! | `embedded-io` 0.7: `Read`, `Write`, `ReadReady`, `WriteReady` | a stream [`Socket`](crate::Socket) | `embedded-io` |
//! | `embedded-nal` 0.9: `TcpClientStack`, `TcpFullStack`, `UdpClientStack`, `UdpFullStack`, `Dns` | `NalStack` over a [`Stack`](crate::Stack) | `embedded-nal` |
//! | `std::io::Read`, `std::io::Write` | a stream [`Socket`](crate::Socket) (and `&Socket`) | `std` |
//! | `embedded-io-async` 0.7: `Read`, `Write`, `ReadReady`, `WriteReady` | a stream `asynch::AsyncSocket` (and `&AsyncSocket`) | `async` |
//! | `embedded-nal-async` 0.9: `TcpConnect`, `Dns` | a [`Stack`](crate::Stack) (and `&Stack`) | `embedded-nal-async` |
//! | `embedded-nal-async` 0.9: `UdpStack` (sockets: `NalUdpSocket`) | `&Stack` | `embedded-nal-async` |
//!
//! The byte-stream traits follow the socket's mode: a blocking socket blocks,
//! a socket with a timeout returns [`Error::TimedOut`](crate::Error::TimedOut)
//! when it passes, a non-blocking one returns
//! [`Error::WouldBlock`](crate::Error::WouldBlock) (which `embedded-io`, whose
//! traits always block, can only report as `ErrorKind::Other`).
//!
//! The byte-stream traits are implemented for `Socket` and for `&Socket`,
//! and (async) for `AsyncSocket` and `&AsyncSocket`, where "blocks" reads
//! "waits". Their contracts, each checked by a test:
//!
//! - `read` returns `Ok(0)` only at end of stream (sticky) or for an empty buffer;
//!   an empty buffer never blocks.
//! - `write` never returns `Ok(0)` for a non-empty buffer; an empty buffer never blocks.
//! - `flush` returns once the peer has acknowledged every byte written,
//!   within the socket's timeout.
//! - `read_ready() == Ok(true)` / `write_ready() == Ok(true)`: the next
//!   `read` / `write` does not block.
//! - Datagram sockets are not byte streams: these traits answer
//!   [`Error::Unsupported`](crate::Error::Unsupported) for them.

#[cfg(any(feature = "std", feature = "embedded-io"))]
mod stream;

#[cfg(feature = "embedded-io")]
mod embedded_io;

#[cfg(feature = "std")]
mod std_io;

#[cfg(feature = "embedded-nal")]
pub mod nal;
#[cfg(feature = "embedded-nal")]
pub use nal::{NalSocket, NalStack};

#[cfg(feature = "async")]
mod embedded_io_async;

#[cfg(feature = "embedded-nal-async")]
pub mod nal_async;
#[cfg(feature = "embedded-nal-async")]
pub use nal_async::NalUdpSocket;
