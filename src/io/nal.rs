//! `embedded-nal` 0.9 on a [`Stack`]: [`NalStack`] implements
//! `TcpClientStack`, `TcpFullStack`, `UdpClientStack`, `UdpFullStack` and
//! `Dns`; its sockets are [`NalSocket`]s (a non-blocking [`Socket`] inside).
//!
//! embedded-nal 0.9 is `nb`-based, so every socket is non-blocking and:
//! - "cannot proceed yet" ([`Error::WouldBlock`]) is `nb::Error::WouldBlock`;
//! - `connect` is called until it returns `Ok(())`: it starts the handshake
//!   (`WouldBlock`), reports `WouldBlock` while it is under way, then `Ok(())`
//!   once established, and keeps answering `Ok(())` for that connection
//!   (where a [`Socket`] says [`Error::AlreadyConnected`]);
//! - `receive` at the end of the stream is `Err(nb::Error::Other(`[`Error::BrokenPipe`]`))`,
//!   whose [`TcpError::kind`] is [`TcpErrorKind::PipeClosed`]: `Ok(0)` would read as
//!   "no data yet" to nal clients, which would never see the close;
//! - `listen` uses smolsock's real backlog ([`NalStack::with_backlog`]).
//!
//! A new socket is IPv4 (IPv6 in an IPv6-only build); `connect` or `send_to`
//! to an address of the other family reopens it in that family as long as it
//! is not bound yet. `bind(port)` binds the unspecified address of the
//! socket's family.
//!
//! ```
//! use embedded_nal::{nb, TcpClientStack, TcpFullStack};
//! use smolsock::io::NalStack;
//! use smolsock::{Config, SimClock, Stack, StackResources};
//! use smolsock::smoltcp::phy::{Loopback, Medium};
//!
//! let clock = SimClock::new();
//! let mut dev = Loopback::new(Medium::Ip);
//! let mut res = StackResources::<4, 1024>::new();
//! let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
//! let mut nal = NalStack::new(&stack).with_backlog(2);
//!
//! let mut listener = TcpClientStack::socket(&mut nal)?;
//! nal.bind(&mut listener, 1883)?;
//! nal.listen(&mut listener)?;
//! let mut client = TcpClientStack::socket(&mut nal)?;
//! let broker = "127.0.0.1:1883".parse().unwrap();
//! let (mut conn, _peer) = loop {
//!     let _ = nal.connect(&mut client, broker); // WouldBlock until established
//!     match nal.accept(&mut listener) {
//!         Ok(c) => break c,
//!         Err(nb::Error::WouldBlock) => stack.poll(stack.now()),
//!         Err(nb::Error::Other(e)) => return Err(e),
//!     };
//! };
//! assert_eq!(nal.connect(&mut client, broker), Ok(()));
//! assert_eq!(TcpClientStack::send(&mut nal, &mut client, b"hi"), Ok(2));
//! let mut buf = [0u8; 8];
//! assert_eq!(TcpClientStack::receive(&mut nal, &mut conn, &mut buf), Ok(2));
//! TcpClientStack::close(&mut nal, client)?;
//! # Ok::<(), smolsock::Error>(())
//! ```

use crate::{Domain, Error, ResolveError, SockAddr, Socket, Stack, Type};
use core::net::IpAddr;
use core::time::Duration;
use embedded_nal::{
    nb, AddrType, Dns, TcpClientStack, TcpError, TcpErrorKind, TcpFullStack, UdpClientStack,
    UdpFullStack,
};

/// The family of a socket made before its peer is known.
#[cfg(feature = "proto-ipv4")]
const DEFAULT_DOMAIN: Domain = Domain::IPV4;
#[cfg(not(feature = "proto-ipv4"))]
const DEFAULT_DOMAIN: Domain = Domain::IPV6;

/// `embedded-nal` 0.9 stacks over a smolsock [`Stack`]; see the [module docs](self).
///
/// It is a small `Copy` handle: several nal clients can share one stack.
#[derive(Clone, Copy)]
pub struct NalStack<'s, 'a> {
    stack: &'s Stack<'a>,
    backlog: usize,
    dns_timeout: Option<Duration>,
}

impl core::fmt::Debug for NalStack<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NalStack")
            .field("backlog", &self.backlog)
            .field("dns_timeout", &self.dns_timeout)
            .finish()
    }
}

impl<'s, 'a> NalStack<'s, 'a> {
    /// nal stacks on `stack`, with a listen backlog of 1 and DNS queries
    /// bounded only by smoltcp's own retries.
    pub fn new(stack: &'s Stack<'a>) -> Self {
        NalStack {
            stack,
            backlog: 1,
            dns_timeout: None,
        }
    }

    /// The backlog `TcpFullStack::listen` passes to [`Socket::listen`].
    pub fn with_backlog(mut self, backlog: usize) -> Self {
        self.backlog = backlog;
        self
    }

    /// The deadline for one `Dns::get_host_by_name` (`None`: smoltcp's retries).
    pub fn with_dns_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.dns_timeout = timeout;
        self
    }

    /// The smolsock stack underneath.
    pub fn stack(&self) -> &'s Stack<'a> {
        self.stack
    }

    fn open(&self, domain: Domain, ty: Type) -> Result<Socket<'s, 'a>, Error> {
        let s = Socket::new(self.stack, domain, ty)?;
        s.set_nonblocking(true)?;
        Ok(s)
    }

    /// Reopen a fresh (unbound) socket in `to`'s family if it has the other one.
    fn match_family(&self, s: &mut NalSocket<'s, 'a>, to: SockAddr) -> Result<(), Error> {
        let local = s.sock.local_addr()?;
        if local.is_ipv6() == to.is_ipv6() || local.port() != 0 {
            return Ok(());
        }
        s.sock.close()?;
        s.sock = self.open(Domain::for_address(to), s.ty)?;
        Ok(())
    }
}

/// A socket of a [`NalStack`]: a non-blocking [`Socket`].
#[derive(Debug)]
pub struct NalSocket<'s, 'a> {
    sock: Socket<'s, 'a>,
    ty: Type,
}

impl<'s, 'a> NalSocket<'s, 'a> {
    /// The smolsock socket inside (non-blocking).
    pub fn socket(&self) -> &Socket<'s, 'a> {
        &self.sock
    }

    /// The smolsock socket, for use outside embedded-nal.
    pub fn into_socket(self) -> Socket<'s, 'a> {
        self.sock
    }
}

/// `nb` form of a smolsock result: `WouldBlock` becomes `nb::Error::WouldBlock`.
fn nb_err<E>(e: E, would_block: bool) -> nb::Error<E> {
    if would_block {
        nb::Error::WouldBlock
    } else {
        nb::Error::Other(e)
    }
}

fn nb<T>(r: Result<T, Error>) -> nb::Result<T, Error> {
    r.map_err(|e| nb_err(e, e == Error::WouldBlock))
}

/// [`Error::BrokenPipe`] (a closed write half, or the end of the stream in
/// `receive`), [`Error::ConnectionReset`] and [`Error::NotConnected`] are
/// `PipeClosed`: the connection is gone. Everything else is `Other`.
impl TcpError for Error {
    fn kind(&self) -> TcpErrorKind {
        match self {
            Error::BrokenPipe | Error::ConnectionReset | Error::NotConnected => {
                TcpErrorKind::PipeClosed
            }
            _ => TcpErrorKind::Other,
        }
    }
}

impl<'s, 'a> TcpClientStack for NalStack<'s, 'a> {
    type TcpSocket = NalSocket<'s, 'a>;
    type Error = Error;

    fn socket(&mut self) -> Result<NalSocket<'s, 'a>, Error> {
        Ok(NalSocket {
            sock: self.open(DEFAULT_DOMAIN, Type::STREAM)?,
            ty: Type::STREAM,
        })
    }

    /// `WouldBlock` while the handshake is under way, `Ok(())` once (and as
    /// long as) the socket is connected.
    fn connect(
        &mut self,
        socket: &mut NalSocket<'s, 'a>,
        remote: SockAddr,
    ) -> nb::Result<(), Error> {
        self.match_family(socket, remote)?;
        match socket.sock.connect(remote) {
            Err(Error::AlreadyConnected) if socket.sock.peer_addr() == Ok(remote) => Ok(()),
            r => nb(r),
        }
    }

    fn send(&mut self, socket: &mut NalSocket<'s, 'a>, buffer: &[u8]) -> nb::Result<usize, Error> {
        nb(socket.sock.send(buffer))
    }

    /// Some bytes, `WouldBlock` when none are there yet, and at the end of
    /// the stream `Error::BrokenPipe` (`TcpErrorKind::PipeClosed`).
    fn receive(
        &mut self,
        socket: &mut NalSocket<'s, 'a>,
        buffer: &mut [u8],
    ) -> nb::Result<usize, Error> {
        match socket.sock.recv(buffer) {
            Ok(0) if !buffer.is_empty() => Err(nb::Error::Other(Error::BrokenPipe)),
            r => nb(r),
        }
    }

    fn close(&mut self, socket: NalSocket<'s, 'a>) -> Result<(), Error> {
        socket.sock.close()
    }
}

impl<'s, 'a> TcpFullStack for NalStack<'s, 'a> {
    fn bind(&mut self, socket: &mut NalSocket<'s, 'a>, local_port: u16) -> Result<(), Error> {
        let v6 = socket.sock.local_addr()?.is_ipv6();
        socket.sock.bind(crate::addr::unspecified(v6, local_port))
    }

    /// [`Socket::listen`] with the stack's backlog ([`NalStack::with_backlog`]).
    fn listen(&mut self, socket: &mut NalSocket<'s, 'a>) -> Result<(), Error> {
        socket.sock.listen(self.backlog).map(|_| ())
    }

    fn accept(
        &mut self,
        socket: &mut NalSocket<'s, 'a>,
    ) -> nb::Result<(NalSocket<'s, 'a>, SockAddr), Error> {
        let (sock, peer) = nb(socket.sock.accept())?;
        sock.set_nonblocking(true)?;
        Ok((
            NalSocket {
                sock,
                ty: Type::STREAM,
            },
            peer,
        ))
    }
}

impl<'s, 'a> UdpClientStack for NalStack<'s, 'a> {
    type UdpSocket = NalSocket<'s, 'a>;
    type Error = Error;

    fn socket(&mut self) -> Result<NalSocket<'s, 'a>, Error> {
        Ok(NalSocket {
            sock: self.open(DEFAULT_DOMAIN, Type::DGRAM)?,
            ty: Type::DGRAM,
        })
    }

    fn connect(&mut self, socket: &mut NalSocket<'s, 'a>, remote: SockAddr) -> Result<(), Error> {
        self.match_family(socket, remote)?;
        socket.sock.connect(remote)
    }

    fn send(&mut self, socket: &mut NalSocket<'s, 'a>, buffer: &[u8]) -> nb::Result<(), Error> {
        nb(socket.sock.send(buffer)).map(|_| ())
    }

    fn receive(
        &mut self,
        socket: &mut NalSocket<'s, 'a>,
        buffer: &mut [u8],
    ) -> nb::Result<(usize, SockAddr), Error> {
        nb(socket.sock.recv_from(buffer))
    }

    fn close(&mut self, socket: NalSocket<'s, 'a>) -> Result<(), Error> {
        socket.sock.close()
    }
}

impl<'s, 'a> UdpFullStack for NalStack<'s, 'a> {
    fn bind(&mut self, socket: &mut NalSocket<'s, 'a>, local_port: u16) -> Result<(), Error> {
        let v6 = socket.sock.local_addr()?.is_ipv6();
        socket.sock.bind(crate::addr::unspecified(v6, local_port))
    }

    fn send_to(
        &mut self,
        socket: &mut NalSocket<'s, 'a>,
        remote: SockAddr,
        buffer: &[u8],
    ) -> nb::Result<(), Error> {
        self.match_family(socket, remote)?;
        nb(socket.sock.send_to(buffer, remote)).map(|_| ())
    }
}

/// Names through [`Stack::resolve`] (A first, then AAAA), bounded by
/// [`NalStack::with_dns_timeout`]; a call returns the answer (it does not
/// answer `WouldBlock` and get called again). An answer of the other family
/// than `addr_type` asks for is [`ResolveError::NotFound`]; reverse lookups
/// are not supported ([`ResolveError::NotFound`]).
impl Dns for NalStack<'_, '_> {
    type Error = ResolveError;

    fn get_host_by_name(
        &mut self,
        hostname: &str,
        addr_type: AddrType,
    ) -> nb::Result<IpAddr, ResolveError> {
        let ip: IpAddr = self
            .stack
            .resolve(hostname, self.dns_timeout)
            .map_err(|e| nb_err(e, false))?
            .into();
        let fits = match addr_type {
            AddrType::IPv4 => ip.is_ipv4(),
            AddrType::IPv6 => ip.is_ipv6(),
            AddrType::Either => true,
        };
        if fits {
            Ok(ip)
        } else {
            Err(nb::Error::Other(ResolveError::NotFound))
        }
    }

    fn get_host_by_address(
        &mut self,
        _addr: IpAddr,
        _result: &mut [u8],
    ) -> nb::Result<usize, ResolveError> {
        Err(nb::Error::Other(ResolveError::NotFound))
    }
}
