//! `embedded-io` 0.7 (blocking) for stream sockets.
//!
//! ```
//! use embedded_io::{Read, Write};
//! use smolsock::{Config, Domain, SimClock, Socket, Stack, StackResources, Type};
//! use smolsock::smoltcp::phy::{Loopback, Medium};
//!
//! let clock = SimClock::new();
//! let mut dev = Loopback::new(Medium::Ip);
//! let mut res = StackResources::<4, 1024>::new();
//! let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
//! let server = Socket::new(&stack, Domain::IPV4, Type::STREAM)?;
//! server.bind("127.0.0.1:7".parse().unwrap())?;
//! server.listen(1)?;
//! let mut client = Socket::new(&stack, Domain::IPV4, Type::STREAM)?;
//! client.set_nonblocking(true)?;
//! let _ = client.connect("127.0.0.1:7".parse().unwrap()); // in progress
//! let (mut conn, _) = server.accept()?;
//! client.set_nonblocking(false)?;
//! client.write_all(b"ping")?;
//! client.flush()?;                 // the peer has acknowledged all four bytes
//! let mut buf = [0u8; 4];
//! conn.read_exact(&mut buf).expect("four bytes");
//! assert_eq!(&buf, b"ping");
//! # Ok::<(), smolsock::Error>(())
//! ```

use super::stream;
use crate::{Error, Socket};
use embedded_io::ErrorKind;

/// `embedded-io` has no `WouldBlock` (its traits block): a non-blocking
/// socket's [`Error::WouldBlock`] is `ErrorKind::Other`, and so is
/// [`Error::NetworkUnreachable`] (no such kind). The rest map one to one, as
/// in the `std::io::Error` conversion.
impl embedded_io::Error for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::TimedOut => ErrorKind::TimedOut,
            Error::ConnectionRefused => ErrorKind::ConnectionRefused,
            Error::ConnectionReset => ErrorKind::ConnectionReset,
            Error::NotConnected => ErrorKind::NotConnected,
            Error::AlreadyConnected => ErrorKind::AlreadyExists,
            Error::BrokenPipe => ErrorKind::BrokenPipe,
            Error::AddrInUse => ErrorKind::AddrInUse,
            Error::AddrNotAvailable => ErrorKind::AddrNotAvailable,
            Error::PermissionDenied => ErrorKind::PermissionDenied,
            Error::InvalidInput => ErrorKind::InvalidInput,
            Error::Unsupported => ErrorKind::Unsupported,
            Error::NoBufferSpace => ErrorKind::OutOfMemory,
            // embedded-io has no "network unreachable".
            Error::WouldBlock
            | Error::NetworkUnreachable
            | Error::BadDescriptor
            | Error::Stalled
            | Error::Busy => ErrorKind::Other,
        }
    }
}

impl embedded_io::ErrorType for Socket<'_, '_> {
    type Error = Error;
}

/// `read` returns `Ok(0)` only at end of stream (and keeps returning it) or
/// for an empty buffer, which never blocks.
impl embedded_io::Read for Socket<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        stream::read(self, buf)
    }
}

/// `write` queues at least one byte of a non-empty buffer or fails; `flush`
/// waits until the peer has acknowledged everything written, bounded by the
/// socket's timeout.
impl embedded_io::Write for Socket<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Error> {
        stream::write(self, buf)
    }

    fn flush(&mut self) -> Result<(), Error> {
        stream::flush(self)
    }
}

/// `Ok(true)`: received data or end of stream is there, the next `read` returns at once.
impl embedded_io::ReadReady for Socket<'_, '_> {
    fn read_ready(&mut self) -> Result<bool, Error> {
        stream::read_ready(self)
    }
}

/// `Ok(true)`: the send buffer has room, the next `write` returns at once.
impl embedded_io::WriteReady for Socket<'_, '_> {
    fn write_ready(&mut self) -> Result<bool, Error> {
        stream::write_ready(self)
    }
}

/// As for `Socket`: a shared reference reads and writes too (like
/// `&std::net::TcpStream`), so a reader and a writer can share one socket.
impl embedded_io::ErrorType for &Socket<'_, '_> {
    type Error = Error;
}

/// As for `Socket`.
impl embedded_io::Read for &Socket<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        stream::read(self, buf)
    }
}

/// As for `Socket`.
impl embedded_io::Write for &Socket<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Error> {
        stream::write(self, buf)
    }

    fn flush(&mut self) -> Result<(), Error> {
        stream::flush(self)
    }
}

/// As for `Socket`.
impl embedded_io::ReadReady for &Socket<'_, '_> {
    fn read_ready(&mut self) -> Result<bool, Error> {
        stream::read_ready(self)
    }
}

/// As for `Socket`.
impl embedded_io::WriteReady for &Socket<'_, '_> {
    fn write_ready(&mut self) -> Result<bool, Error> {
        stream::write_ready(self)
    }
}
