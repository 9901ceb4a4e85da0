//! `Socket`: a socket2-shaped handle with Python's semantics.
//!
//! The type lives here with what every kind shares (creation, modes, bind,
//! addresses, close). TCP operations are in `tcp.rs`, the listen backlog in
//! `listener.rs`, datagrams in `udp.rs`; each kind-specific call dispatches here.

#[cfg(feature = "dns")]
mod create;
mod events;
pub(crate) mod flags;
mod listener;
mod ops;
mod options;
mod select;
mod tcp;
#[cfg(feature = "udp")]
mod udp;

#[cfg(feature = "dns")]
pub use create::ConnectError;
pub use events::{Events, Interest};
pub use flags::MsgFlags;
pub use options::TcpKeepalive;

use crate::addr::{self, SockAddr};
use crate::error::{Error, Result};
use crate::slot::{flag, Kind, Owner, SlotId};
use crate::stack::{Stack, Timeout};
use core::cell::Cell;
use core::time::Duration;
use smoltcp::wire::IpListenEndpoint;

/// Address family (Python's `AF_*`).
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Domain(u8);

impl Domain {
    /// `AF_INET`.
    pub const IPV4: Domain = Domain(4);
    /// `AF_INET6`.
    pub const IPV6: Domain = Domain(6);
    /// `AF_UNIX`: no meaning on a TCP/IP stack; [`Socket::new`] refuses it
    /// with [`Error::Unsupported`].
    pub const UNIX: Domain = Domain(1);

    /// The domain of an address.
    pub fn for_address(a: SockAddr) -> Domain {
        if a.is_ipv6() {
            Domain::IPV6
        } else {
            Domain::IPV4
        }
    }
}

/// Socket type (Python's `SOCK_*`).
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Type(u8);

impl Type {
    /// `SOCK_STREAM`: TCP.
    pub const STREAM: Type = Type(1);
    /// `SOCK_DGRAM`: UDP.
    pub const DGRAM: Type = Type(2);
}

/// Which half to shut down (Python's `SHUT_RD`, `SHUT_WR`, `SHUT_RDWR`).
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shutdown {
    /// `SHUT_RD`: `recv` returns `Ok(0)` from now on.
    Read,
    /// `SHUT_WR`: send FIN after queued data; the peer reads EOF; `send` fails.
    Write,
    /// `SHUT_RDWR`: both.
    Both,
}

/// A TCP or UDP socket on a [`Stack`], with Python's blocking, timeout and
/// non-blocking modes. New sockets block. Dropping a socket closes it.
///
/// ```
/// use smolsock::{Config, Domain, SimClock, Socket, Stack, StackResources, Type};
/// use smolsock::smoltcp::phy::{Loopback, Medium};
///
/// let clock = SimClock::new();
/// let mut dev = Loopback::new(Medium::Ip);
/// let mut res = StackResources::<4, 1024>::new();
/// let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
///
/// let server = Socket::new(&stack, Domain::IPV4, Type::STREAM)?;
/// server.bind("127.0.0.1:10001".parse().unwrap())?;
/// server.listen(1)?;
///
/// let client = Socket::new(&stack, Domain::IPV4, Type::STREAM)?;
/// client.set_nonblocking(true)?;
/// let _ = client.connect("127.0.0.1:10001".parse().unwrap()); // WouldBlock: in progress
/// let (conn, _peer) = server.accept()?;
/// client.send_all(b"hello\r\n")?;
/// let mut buf = [0u8; 1024];
/// let n = conn.recv(&mut buf)?;
/// assert_eq!(&buf[..n], b"hello\r\n");
/// # Ok::<(), smolsock::Error>(())
/// ```
pub struct Socket<'s, 'a> {
    stack: &'s Stack<'a>,
    /// Slot and generation; `SlotId::CLOSED` once this handle is closed.
    id: Cell<SlotId>,
    kind: Kind,
    timeout: Cell<Timeout>,
}

impl core::fmt::Debug for Socket<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Socket")
            .field("slot", &self.id.get().index)
            .field("kind", &self.kind)
            .field("timeout", &self.timeout.get())
            .finish()
    }
}

impl<'s, 'a> Socket<'s, 'a> {
    /// Python's `socket.socket(family, type)`. Takes a slot from the pool:
    /// [`Error::NoBufferSpace`] when none is free, [`Error::Unsupported`]
    /// for `Domain::UNIX` or a family this build leaves out.
    pub fn new(stack: &'s Stack<'a>, domain: Domain, ty: Type) -> Result<Self> {
        let v6 = match domain {
            #[cfg(feature = "proto-ipv4")]
            Domain::IPV4 => false,
            #[cfg(feature = "proto-ipv6")]
            Domain::IPV6 => true,
            _ => return Err(Error::Unsupported),
        };
        let kind = match ty {
            Type::STREAM => Kind::Tcp,
            #[cfg(feature = "udp")]
            Type::DGRAM => Kind::Udp,
            _ => return Err(Error::Unsupported),
        };
        let id = stack.with_core(|core| {
            let index = core.claim(kind, Owner::User)?;
            core.edit(index, |s| s.set(flag::V6, v6));
            Ok::<_, Error>(core.id_of(index))
        })??;
        Ok(Self::from_slot(stack, id, kind))
    }

    pub(crate) fn from_slot(stack: &'s Stack<'a>, id: SlotId, kind: Kind) -> Self {
        Socket {
            stack,
            id: Cell::new(id),
            kind,
            timeout: Cell::new(None),
        }
    }

    /// Python's `setblocking(flag)`: `true` = non-blocking (`settimeout(0)`),
    /// `false` = blocking (`settimeout(None)`).
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        self.set_timeout(if nonblocking {
            Some(Duration::ZERO)
        } else {
            None
        })
    }

    /// Python's `settimeout(seconds)`: `None` blocks, `Some(0)` is
    /// non-blocking, else each call as a whole must finish within it. A
    /// timeout longer than [`TIME_LIMIT`](crate::TIME_LIMIT)'s span (about
    /// 73,000 years, e.g. `Duration::MAX`) is no timeout: the call blocks.
    pub fn set_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        self.stack
            .with_core(|core| core.slot(self.id.get()).map(|_| ()))??;
        self.timeout.set(timeout);
        Ok(())
    }

    /// Python's `gettimeout()`.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout.get()
    }

    /// Python's `setsockopt(SOL_SOCKET, SO_REUSEADDR, on)`: with it, `bind`
    /// may take a port still held by closed connections (TIME-WAIT).
    pub fn set_reuse_address(&self, on: bool) -> Result<()> {
        self.stack
            .with_core(|core| core.slot_mut(self.id.get()).map(|s| s.set(flag::REUSE, on)))?
    }

    /// socket2's `set_tcp_nodelay` (`TCP_NODELAY`): `true` turns Nagle's
    /// algorithm off, so small writes go out at once instead of waiting for an
    /// ACK. A listener passes it on to the sockets it accepts, as Linux does.
    pub fn set_tcp_nodelay(&self, nodelay: bool) -> Result<()> {
        if self.kind != Kind::Tcp {
            return Err(Error::Unsupported);
        }
        self.stack.with_core(|core| {
            let (s, t) = core.tcp(self.id.get())?;
            s.set(flag::NODELAY, nodelay);
            t.set_nagle_enabled(!nodelay);
            Ok(())
        })?
    }

    /// Python's `bind((host, port))`. Port 0 picks an ephemeral port.
    /// [`Error::AddrInUse`] if another socket holds it (see
    /// [`set_reuse_address`](Self::set_reuse_address)), [`Error::AddrNotAvailable`]
    /// if the host is not one of the interface's addresses.
    pub fn bind(&self, addr: SockAddr) -> Result<()> {
        self.stack.with_core(|core| {
            let s = *core.slot(self.id.get())?;
            if s.has(flag::V6) != addr.is_ipv6() {
                return Err(Error::InvalidInput);
            }
            if s.port != 0 || s.has(flag::CONNECTED) {
                return Err(Error::InvalidInput);
            }
            let ip = addr::bind_addr(addr.ip())?;
            if let Some(ip) = ip {
                if !core.iface.has_ip_addr(ip) {
                    return Err(Error::AddrNotAvailable);
                }
            }
            let port = match addr.port() {
                0 => core.ephemeral_port(self.kind)?,
                p => p,
            };
            let ep = IpListenEndpoint { addr: ip, port };
            if core.bind_conflict(self.id.get().index as usize, ep) {
                return Err(Error::AddrInUse);
            }
            #[cfg(feature = "udp")]
            if self.kind == Kind::Udp {
                core.udp(self.id.get())?
                    .1
                    .bind(ep)
                    .map_err(|_| Error::InvalidInput)?;
            }
            let s = core.slot_mut(self.id.get())?;
            s.addr = ip;
            s.port = port;
            Ok(())
        })?
    }

    /// Bind to an ephemeral port on any address if not bound yet.
    pub(crate) fn autobind(&self) -> Result<()> {
        let (bound, v6) = self.stack.with_core(|core| {
            core.slot(self.id.get())
                .map(|s| (s.port != 0, s.has(flag::V6)))
        })??;
        if bound {
            Ok(())
        } else {
            self.bind(addr::unspecified(v6, 0))
        }
    }

    /// Python's `getsockname()`.
    pub fn local_addr(&self) -> Result<SockAddr> {
        self.stack.with_core(|core| {
            let s = *core.slot(self.id.get())?;
            // A listener's address is the one it was bound to (`0.0.0.0`
            // stays so), not the address a connection arrived on.
            if self.kind == Kind::Tcp && !s.is_listener() {
                if let Some(ep) = core.tcp(self.id.get())?.1.local_endpoint() {
                    return Ok(addr::sockaddr(ep));
                }
            }
            let v6 = s.has(flag::V6);
            Ok(match s.addr {
                Some(a) => SockAddr::new(a.into(), s.port),
                None => addr::unspecified(v6, s.port),
            })
        })?
    }

    /// Python's `getpeername()`: [`Error::NotConnected`] without a peer.
    pub fn peer_addr(&self) -> Result<SockAddr> {
        match self.kind {
            #[cfg(feature = "udp")]
            Kind::Udp => self.udp_peer(),
            Kind::Tcp => self.stack.with_core(|core| {
                let (s, t) = core.tcp(self.id.get())?;
                if s.is_listener() {
                    // Its slot may hold a connection waiting for accept.
                    return Err(Error::NotConnected);
                }
                t.remote_endpoint()
                    .map(addr::sockaddr)
                    .ok_or(Error::NotConnected)
            })?,
        }
    }

    /// Python's `connect((host, port))`. TCP: blocks until connected (or
    /// [`Error::WouldBlock`] at once when non-blocking, like `EINPROGRESS`;
    /// call again to learn the outcome). A blocking connect with no timeout
    /// gives up with [`Error::TimedOut`] after 127 s, as Linux does after its
    /// SYN retries. UDP: sets the default peer.
    ///
    /// Special destinations get Linux's answer at once, blocking or not, and
    /// nothing goes on the wire: TCP to a multicast or broadcast address
    /// (also a subnet's, e.g. 192.168.69.255) is [`Error::NetworkUnreachable`];
    /// a loopback address on a stack that has none (a TAP stack) is
    /// [`Error::NetworkUnreachable`] (`::1`: [`Error::AddrNotAvailable`]);
    /// on Ethernet, the stack's own address is [`Error::ConnectionRefused`]
    /// when nothing listens there, and [`Error::Unsupported`] when something
    /// does (smoltcp has no path from a stack to itself; a `Loopback` device
    /// has). UDP to a broadcast address is [`Error::PermissionDenied`] (no
    /// `SO_BROADCAST`), here and in [`send_to`](Self::send_to).
    pub fn connect(&self, addr: SockAddr) -> Result<()> {
        let Some(started) = self.connect_begin(addr)? else {
            return Ok(());
        };
        let r = self.stack.block(self.timeout.get(), self.connect_op());
        self.connect_end(r, started)
    }

    /// Python's `recv(bufsize)`: `Ok(0)` only at end of stream (and for an
    /// empty `buf`); never for "no data yet".
    ///
    /// An empty `buf` is Python's `recv(0)`: `Ok(0)` at once on any open
    /// socket, taking nothing (a queued datagram stays queued, a pending
    /// error stays pending).
    pub fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() {
            return self
                .stack
                .with_core(|core| core.slot(self.id.get()).map(|_| 0))?;
        }
        self.recv_from(buf).map(|(n, _)| n)
    }

    /// Python's `recvfrom(bufsize)`. UDP: one datagram, truncated to `buf`
    /// (the rest is dropped, as Python does). TCP: `recv` plus the peer
    /// address, which the socket keeps: bytes that arrived before a reset are
    /// still returned with their sender.
    pub fn recv_from(&self, buf: &mut [u8]) -> Result<(usize, SockAddr)> {
        self.stack
            .block(self.timeout.get(), self.recv_from_op(buf, MsgFlags::EMPTY))
    }

    /// Python's `send(data)`: the count queued, which may be less than
    /// `data.len()`; the caller sends the rest.
    pub fn send(&self, data: &[u8]) -> Result<usize> {
        self.stack.block(self.timeout.get(), self.send_op(data)?)
    }

    /// Python's `sendto(data, address)`: one datagram (refused at once for a
    /// broadcast address or a loopback one the stack lacks, as
    /// [`connect`](Self::connect) says). On a stream socket
    /// Linux ignores the address: this is [`send`](Self::send) there
    /// ([`Error::BrokenPipe`] when not connected), as in Python on Linux.
    pub fn send_to(&self, data: &[u8], addr: SockAddr) -> Result<usize> {
        self.stack
            .block(self.timeout.get(), self.send_to_op(data, addr)?)
    }

    /// Python's `sendall(data)`: everything is queued, or an error. The
    /// socket's timeout bounds the whole call.
    pub fn send_all(&self, data: &[u8]) -> Result<()> {
        self.stack
            .block(self.timeout.get(), self.send_all_op(data)?)
    }

    /// Wait, within the socket's timeout, until the peer has acknowledged
    /// every byte sent (smoltcp keeps a byte queued until it is acknowledged).
    /// Beyond Python: embedded-io's `flush`. Datagram sockets have nothing to
    /// flush.
    pub fn flush(&self) -> Result<()> {
        self.stack.block(self.timeout.get(), self.flush_op())
    }

    /// Python's `shutdown(how)`.
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        let r = match self.kind {
            #[cfg(feature = "udp")]
            Kind::Udp => self.udp_shutdown(how),
            Kind::Tcp => self.tcp_shutdown(how),
        };
        // An async call waiting on this socket looks again (`Ok(0)` now).
        #[cfg(feature = "async")]
        self.stack.wake_slot(self.id.get().index);
        r
    }

    /// Python's `close()`: frees the slot (a TCP connection finishes its close
    /// in the background; unread data resets the peer, as Linux does). Calling
    /// it twice is fine; any other call afterwards is [`Error::BadDescriptor`].
    /// Inside a closure that holds the stack (`recv_with`, …) the handle is
    /// closed at once and the slot as soon as the closure returns.
    pub fn close(&self) -> Result<()> {
        if self.id.get() != SlotId::CLOSED {
            self.linger_before_close();
        }
        let id = self.id.replace(SlotId::CLOSED);
        if id != SlotId::CLOSED {
            self.stack.close_slot(id);
        }
        Ok(())
    }

    /// Would the next `recv` (`write == false`) or `send` return at once?
    /// [`Error::Unsupported`] for a datagram socket.
    #[cfg(feature = "embedded-io")]
    pub(crate) fn ready(&self, write: bool) -> Result<bool> {
        match self.kind {
            Kind::Tcp => self.tcp_ready(write),
            #[cfg(feature = "udp")]
            Kind::Udp => Err(Error::Unsupported),
        }
    }

    /// Is this a stream (TCP) socket? (The async byte-stream traits refuse
    /// datagram sockets, as the blocking ones do.)
    #[cfg(feature = "async")]
    pub(crate) fn is_stream(&self) -> bool {
        self.kind == Kind::Tcp
    }

    /// The stack this socket lives on.
    pub fn stack(&self) -> &'s Stack<'a> {
        self.stack
    }
}

impl Drop for Socket<'_, '_> {
    fn drop(&mut self) {
        let _ = self.close();
    }
}
