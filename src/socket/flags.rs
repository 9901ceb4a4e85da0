//! `recv`/`send` flags (Python's `recv(bufsize, flags)`, `send(data, flags)`):
//! `MSG_PEEK`, `MSG_WAITALL`, `MSG_DONTWAIT`.

use super::Socket;
use crate::addr::{self, SockAddr};
use crate::error::{Error, Result};
use crate::slot::Kind;
use crate::stack::Timeout;
use core::cell::Cell;
use core::ops::BitOr;
use core::time::Duration;

/// Flags of one `recv` or `send` call (Linux's `MSG_*`), combined with `|`.
///
/// ```
/// use smolsock::MsgFlags;
/// let f = MsgFlags::PEEK | MsgFlags::DONTWAIT;
/// assert!(f.contains(MsgFlags::PEEK));
/// assert!(!f.contains(MsgFlags::WAITALL));
/// assert!(MsgFlags::EMPTY.is_empty());
/// ```
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MsgFlags(u8);

impl MsgFlags {
    /// No flag: the plain call.
    pub const EMPTY: MsgFlags = MsgFlags(0);
    /// `MSG_PEEK`: the data stays for the next call (a UDP datagram stays
    /// whole, truncated to the buffer in this call as usual).
    pub const PEEK: MsgFlags = MsgFlags(1);
    /// `MSG_WAITALL` (streams): wait until the buffer is full, the stream
    /// ends, an error, or the socket's timeout; what came before a timeout
    /// or an error is returned (`Ok(n)`), as Linux does. Datagrams ignore it.
    pub const WAITALL: MsgFlags = MsgFlags(2);
    /// `MSG_DONTWAIT`: this one call does not wait
    /// ([`Error::WouldBlock`]), whatever the socket's mode.
    pub const DONTWAIT: MsgFlags = MsgFlags(4);
    /// `MSG_OOB`: TCP urgent data, which smoltcp does not have: every call
    /// with it is [`Error::Unsupported`].
    pub const OOB: MsgFlags = MsgFlags(8);

    /// Every flag of `other` is set in `self`.
    pub const fn contains(self, other: MsgFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// No flag set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for MsgFlags {
    type Output = MsgFlags;
    fn bitor(self, rhs: MsgFlags) -> MsgFlags {
        MsgFlags(self.0 | rhs.0)
    }
}

/// The timeout one call with `flags` waits within, or `Unsupported`.
pub(crate) fn call_timeout(flags: MsgFlags, own: Timeout) -> Result<Timeout> {
    if flags.contains(MsgFlags::OOB) {
        return Err(Error::Unsupported);
    }
    Ok(if flags.contains(MsgFlags::DONTWAIT) {
        Some(Duration::ZERO)
    } else {
        own
    })
}

impl Socket<'_, '_> {
    /// Python's `recv(bufsize, flags)`: [`recv`](Self::recv) with
    /// [`MsgFlags`]. End of stream is `Ok(0)` (also with `PEEK`), and only
    /// end of stream is.
    ///
    /// ```
    /// use smolsock::{Config, Domain, Error, MsgFlags, SimClock, Socket, Stack, StackResources, Type};
    /// use smolsock::smoltcp::phy::{Loopback, Medium};
    ///
    /// let clock = SimClock::new();
    /// let mut dev = Loopback::new(Medium::Ip);
    /// let mut res = StackResources::<4, 1024>::new();
    /// let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    /// let a = Socket::new(&stack, Domain::IPV4, Type::DGRAM)?;
    /// a.bind("127.0.0.1:9000".parse().unwrap())?;
    /// let mut buf = [0u8; 8];
    /// assert_eq!(a.recv_with_flags(&mut buf, MsgFlags::DONTWAIT), Err(Error::WouldBlock));
    /// a.send_to(b"ping", "127.0.0.1:9000".parse().unwrap())?;
    /// assert_eq!(a.recv_with_flags(&mut buf, MsgFlags::PEEK)?, 4); // still there
    /// assert_eq!(a.recv(&mut buf)?, 4);
    /// # Ok::<(), smolsock::Error>(())
    /// ```
    pub fn recv_with_flags(&self, buf: &mut [u8], flags: MsgFlags) -> Result<usize> {
        if buf.is_empty() {
            // Python's recv(0, flags): b'' before any flag is looked at.
            return self.recv(buf);
        }
        self.recv_from_with_flags(buf, flags).map(|(n, _)| n)
    }

    /// Python's `recvfrom(bufsize, flags)`: [`recv_from`](Self::recv_from)
    /// with [`MsgFlags`].
    pub fn recv_from_with_flags(
        &self,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> Result<(usize, SockAddr)> {
        let timeout = call_timeout(flags, self.timeout.get())?;
        let all = flags.contains(MsgFlags::WAITALL) && self.kind == Kind::Tcp;
        if all && !flags.contains(MsgFlags::PEEK) {
            return self.recv_all(buf, timeout);
        }
        let r = self.stack.block(timeout, self.recv_from_op(buf, flags));
        match r {
            // `PEEK | WAITALL` cut short: what is there, as Linux.
            Err(Error::TimedOut) if all => {
                self.recv_from_with_flags(buf, MsgFlags::PEEK | MsgFlags::DONTWAIT)
            }
            r => r,
        }
    }

    /// `MSG_WAITALL` on a stream: the whole buffer, or what came before
    /// the stream ended, the wait timed out or an error.
    fn recv_all(&self, buf: &mut [u8], timeout: Timeout) -> Result<(usize, SockAddr)> {
        let got = Cell::new(0);
        let r = self.stack.block(timeout, self.recv_all_op(buf, &got));
        self.recv_all_end(r, got.get())
    }

    /// How a `MSG_WAITALL` wait that received `got` bytes ends: with some
    /// received, an early end (timeout, error) returns them, as Linux does.
    pub(crate) fn recv_all_end(
        &self,
        r: Result<(usize, SockAddr)>,
        got: usize,
    ) -> Result<(usize, SockAddr)> {
        match r {
            Err(_) if got > 0 => {
                let v6 = self.local_addr().is_ok_and(|a| a.is_ipv6());
                let peer = self
                    .peer_addr()
                    .unwrap_or_else(|_| addr::unspecified(v6, 0));
                Ok((got, peer))
            }
            r => r,
        }
    }

    /// socket2's `peek`: [`recv_with_flags`](Self::recv_with_flags) with
    /// [`MsgFlags::PEEK`].
    pub fn peek(&self, buf: &mut [u8]) -> Result<usize> {
        self.recv_with_flags(buf, MsgFlags::PEEK)
    }

    /// Python's `send(data, flags)`: [`send`](Self::send) with [`MsgFlags`].
    /// `DONTWAIT` is honoured; `PEEK` and `WAITALL` mean nothing for a send
    /// and, as on Linux, change nothing; `OOB` is [`Error::Unsupported`].
    pub fn send_with_flags(&self, data: &[u8], flags: MsgFlags) -> Result<usize> {
        let timeout = call_timeout(flags, self.timeout.get())?;
        self.stack.block(timeout, self.send_op(data)?)
    }
}
