//! `std::io::Read` and `std::io::Write` for stream sockets (feature `std`),
//! for `Socket` and for `&Socket`, like `std::net::TcpStream`. Errors become
//! `std::io::Error`s of the matching `ErrorKind` (`WouldBlock`, `TimedOut`,
//! `ConnectionRefused`, …); see [`Error`](crate::Error).

use super::stream;
use crate::Socket;

impl std::io::Read for Socket<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Ok(stream::read(self, buf)?)
    }
}

impl std::io::Read for &Socket<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Ok(stream::read(self, buf)?)
    }
}

/// `flush` waits until the peer has acknowledged everything written, within
/// the socket's timeout.
impl std::io::Write for Socket<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(stream::write(self, buf)?)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(stream::flush(self)?)
    }
}

/// As for `Socket`.
impl std::io::Write for &Socket<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(stream::write(self, buf)?)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(stream::flush(self)?)
    }
}
