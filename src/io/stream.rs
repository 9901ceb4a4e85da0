//! The byte-stream operations behind the `embedded-io` and `std::io` impls,
//! built on the `Socket` API.

use crate::error::{Error, Result};
use crate::socket::Socket;
use core::time::Duration;

/// `read`: some bytes, `Ok(0)` only at end of stream or for an empty `buf`.
/// A datagram socket is [`Error::Unsupported`].
pub(crate) fn read(s: &Socket<'_, '_>, buf: &mut [u8]) -> Result<usize> {
    if buf.is_empty() {
        // Never blocks: only report what a read would fail with now.
        return match s.recv_with_in(Some(Duration::ZERO), |_| 0) {
            Ok(_) | Err(Error::WouldBlock) => Ok(0),
            Err(e) => Err(e),
        };
    }
    // `recv_with` refuses datagram sockets and, like `recv`, gives `Ok(0)`
    // only at end of stream.
    s.recv_with(|data| {
        let n = data.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), data.get(..n)) {
            dst.copy_from_slice(src);
        }
        n
    })
}

/// `write`: at least one byte of a non-empty `buf` queued, or an error.
pub(crate) fn write(s: &Socket<'_, '_>, buf: &[u8]) -> Result<usize> {
    if buf.is_empty() {
        return match s.send_with_in(Some(Duration::ZERO), |_| 0) {
            Ok(_) | Err(Error::WouldBlock) => Ok(0),
            Err(e) => Err(e),
        };
    }
    let n = s.send_with(|room| {
        let n = room.len().min(buf.len());
        if let (Some(dst), Some(src)) = (room.get_mut(..n), buf.get(..n)) {
            dst.copy_from_slice(src);
        }
        n
    })?;
    if n == 0 {
        // `send_with` waits for room, so this does not happen; `send` never
        // returns 0 for non-empty data, so the contract holds regardless.
        return s.send(buf);
    }
    Ok(n)
}

/// `read_ready`: `Ok(true)` when a `read` would not block (data, end of
/// stream, an error to report); a datagram socket is [`Error::Unsupported`].
#[cfg(feature = "embedded-io")]
pub(crate) fn read_ready(s: &Socket<'_, '_>) -> Result<bool> {
    s.ready(false)
}

/// `write_ready`: `Ok(true)` when a `write` would not block (room in the send
/// buffer, or an error to report).
#[cfg(feature = "embedded-io")]
pub(crate) fn write_ready(s: &Socket<'_, '_>) -> Result<bool> {
    s.ready(true)
}

/// `flush`: [`Socket::flush`].
pub(crate) fn flush(s: &Socket<'_, '_>) -> Result<()> {
    s.flush()
}
