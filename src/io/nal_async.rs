//! `embedded-nal-async` 0.9 on a [`Stack`] (feature `embedded-nal-async`):
//!
//! - `TcpConnect` on `Stack` (and so on `&Stack`): a connection is an
//!   [`AsyncSocket`] of the remote address's family, connected with
//!   [`AsyncSocket::connect`] (a refused connection is
//!   [`Error::ConnectionRefused`]; unanswered, [`Error::TimedOut`] after
//!   smolsock's connect give-up of 127 s). Its `embedded-io-async` traits are
//!   the ones in [`super`]. Dropping it closes it.
//! - `Dns` on `Stack` (and `&Stack`): [`Stack::resolve_async`] with no
//!   deadline of its own (every DNS server asked three times; bound it with
//!   a timer of the program's if needed).
//! - `UdpStack` on `&Stack`: its sockets are [`NalUdpSocket`]s (an
//!   [`AsyncSocket`] of type `DGRAM` inside).
//!
//! `TcpConnect` and `UdpStack` both have a `connect`: call it through the
//! trait (`TcpConnect::connect(&stack, addr)`, `UdpStack::connect(&&stack, addr)`)
//! where both traits are in scope.
//!
//! Each socket takes the family of the address it is made for (the remote
//! one for `connect`/`connect_from`, the local one for `bind_*`).
//!
//! What smolsock cannot give exactly, and what it does instead:
//! - **Truncated datagrams.** `receive_into` with a buffer shorter than the
//!   datagram stores what fits and drops the rest, as the trait asks, but
//!   returns the count stored, not the datagram's full size (smolsock's
//!   `recv_from` truncates as Python does and does not report the size).
//! - **`bind_multiple` on the unspecified address**: the socket receives
//!   datagrams sent to any of the interface's addresses, but
//!   [`AsyncSocket::recv_from`] does not tell which one a datagram was sent
//!   to. `receive_into` reports as the local address the one the stack
//!   sends from towards that peer, so a reply from it leaves as a reply
//!   should. On an interface with one address per family (the usual embedded
//!   case) this is exact. Sending from a specific local address other than
//!   that one is [`Error::Unsupported`] (smolsock's `send_to` does not pick
//!   a source per datagram).
//! - **Reverse lookups** (`get_host_by_address`) are not supported: always
//!   [`ResolveError::NotFound`], as in the blocking `NalStack`.
//! - **`AddrType::IPv6` for a name**: the resolver asks for A records first,
//!   then AAAA only if there are none; a name with both answers with its
//!   IPv4 address, which is [`ResolveError::NotFound`] for `IPv6` (as in the
//!   blocking `NalStack`). Literals and `localhost` honour the type.
//!
//! ```
//! use embedded_nal_async::{AddrType, Dns, TcpConnect};
//! use smolsock::asynch::{AsyncSocket, NoInterrupt};
//! use smolsock::{Config, Domain, SimClock, Stack, StackResources, Type};
//! use smolsock::smoltcp::phy::{Loopback, Medium};
//!
//! let clock = SimClock::new();
//! let mut dev = Loopback::new(Medium::Ip);
//! let mut res = StackResources::<4, 1024>::new();
//! let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
//! let server = AsyncSocket::new(&stack, Domain::IPV4, Type::STREAM)?;
//! server.bind("127.0.0.1:80".parse().unwrap())?;
//! server.listen(1)?;
//!
//! let work = async {
//!     let ip = stack.get_host_by_name("127.0.0.1", AddrType::Either).await.expect("a literal");
//!     let (conn, accepted) = futures_util::future::join(
//!         TcpConnect::connect(&stack, core::net::SocketAddr::new(ip, 80)),
//!         server.accept(),
//!     )
//!     .await;
//!     let conn = conn?;
//!     assert_eq!(accepted?.1, conn.local_addr()?);
//!     Ok::<(), smolsock::Error>(())
//! };
//! let runner = stack.run(&clock, NoInterrupt);
//! futures_executor::block_on(async {
//!     futures_util::pin_mut!(work, runner);
//!     match futures_util::future::select(work, runner).await {
//!         futures_util::future::Either::Left((r, _)) => r,
//!     }
//! })?;
//! # Ok::<(), smolsock::Error>(())
//! ```

use crate::asynch::AsyncSocket;
use crate::{Domain, Error, ResolveError, SockAddr, Stack, Type};
use core::net::{IpAddr, SocketAddr};
use embedded_nal_async::{AddrType, ConnectedUdp, Dns, TcpConnect, UdpStack, UnconnectedUdp};

/// A TCP connection per `connect`, in the remote address's family.
impl<'a> TcpConnect for Stack<'a> {
    type Error = Error;
    type Connection<'s>
        = AsyncSocket<'s, 'a>
    where
        Self: 's;

    async fn connect<'s>(&'s self, remote: SocketAddr) -> Result<AsyncSocket<'s, 'a>, Error> {
        let s = AsyncSocket::new(self, Domain::for_address(remote), Type::STREAM)?;
        s.connect(remote).await?;
        Ok(s)
    }
}

/// Does `ip` fit `ty`?
fn fits(ip: IpAddr, ty: AddrType) -> bool {
    match ty {
        AddrType::IPv4 => ip.is_ipv4(),
        AddrType::IPv6 => ip.is_ipv6(),
        AddrType::Either => true,
    }
}

/// Names through [`Stack::resolve_async`]; see the [module docs](self) for
/// `AddrType` and reverse lookups.
impl Dns for Stack<'_> {
    type Error = ResolveError;

    async fn get_host_by_name(&self, host: &str, ty: AddrType) -> Result<IpAddr, ResolveError> {
        #[cfg(feature = "proto-ipv6")]
        if ty == AddrType::IPv6 && host.eq_ignore_ascii_case("localhost") {
            return Ok(IpAddr::V6(core::net::Ipv6Addr::LOCALHOST));
        }
        let ip: IpAddr = self.resolve_async(host, None).await?.into();
        if fits(ip, ty) {
            Ok(ip)
        } else {
            Err(ResolveError::NotFound)
        }
    }

    /// Not supported: [`ResolveError::NotFound`].
    async fn get_host_by_address(
        &self,
        _addr: IpAddr,
        _result: &mut [u8],
    ) -> Result<usize, ResolveError> {
        Err(ResolveError::NotFound)
    }
}

/// A UDP socket of `UdpStack` on `&Stack`: connected (`connect`,
/// `connect_from`: [`ConnectedUdp`]) or bound (`bind_single`,
/// `bind_multiple`: [`UnconnectedUdp`]). An [`AsyncSocket`] of type `DGRAM`
/// inside, with its timeout and mode. Dropping it closes it.
#[derive(Debug)]
pub struct NalUdpSocket<'s, 'a> {
    sock: AsyncSocket<'s, 'a>,
    /// The local address it is bound to (its IP unspecified for
    /// `bind_multiple` on the unspecified address).
    local: SockAddr,
}

impl<'s, 'a> NalUdpSocket<'s, 'a> {
    /// The smolsock socket inside.
    pub fn socket(&self) -> &AsyncSocket<'s, 'a> {
        &self.sock
    }

    /// The smolsock socket, for use outside embedded-nal-async.
    pub fn into_socket(self) -> AsyncSocket<'s, 'a> {
        self.sock
    }

    /// The local address datagrams to or from `remote` use: the bound one,
    /// or (bound to the unspecified address) the one the stack sends from
    /// towards `remote`.
    fn local_for(&self, remote: SocketAddr) -> Result<SockAddr, Error> {
        if !self.local.ip().is_unspecified() {
            return Ok(self.local);
        }
        let ip = source_for(self.sock.stack(), remote.ip())?;
        Ok(SocketAddr::new(ip, self.local.port()))
    }
}

/// The address the stack sends from towards `to`
/// ([`Error::AddrNotAvailable`]: none).
fn source_for(stack: &Stack<'_>, to: IpAddr) -> Result<IpAddr, Error> {
    let to = crate::addr::to_smol(to)?;
    stack
        .with_iface(|iface| iface.get_source_address(&to))?
        .map(IpAddr::from)
        .ok_or(Error::AddrNotAvailable)
}

/// One of the interface's addresses of the family (`v6`).
fn some_address(stack: &Stack<'_>, v6: bool) -> Result<IpAddr, Error> {
    stack
        .with_iface(|iface| {
            iface
                .ip_addrs()
                .iter()
                .map(|c| IpAddr::from(c.address()))
                .find(|ip| ip.is_ipv6() == v6)
        })?
        .ok_or(Error::AddrNotAvailable)
}

/// A datagram socket of `addr`'s family, bound to `addr` unless it is
/// `0.0.0.0:0` / `[::]:0` (then the first send or `connect` binds it).
fn udp_socket<'s, 'a>(stack: &'s Stack<'a>, addr: SockAddr) -> Result<AsyncSocket<'s, 'a>, Error> {
    let s = AsyncSocket::new(stack, Domain::for_address(addr), Type::DGRAM)?;
    if !(addr.ip().is_unspecified() && addr.port() == 0) {
        s.bind(addr)?;
    }
    Ok(s)
}

/// UDP sockets on the stack; each takes its family from the address it is
/// made for. See the [module docs](self) for what `bind_multiple` reports.
impl<'s, 'a> UdpStack for &'s Stack<'a> {
    type Error = Error;
    type Connected = NalUdpSocket<'s, 'a>;
    type UniquelyBound = NalUdpSocket<'s, 'a>;
    type MultiplyBound = NalUdpSocket<'s, 'a>;

    /// Bound to `local` (its unspecified parts chosen by the stack), connected
    /// to `remote`; the local address returned has the IP datagrams leave
    /// from. [`Error::InvalidInput`] if the two families differ.
    async fn connect_from(
        &self,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Result<(SocketAddr, NalUdpSocket<'s, 'a>), Error> {
        if local.is_ipv6() != remote.is_ipv6() {
            return Err(Error::InvalidInput);
        }
        let stack: &'s Stack<'a> = self;
        let sock = udp_socket(stack, local)?;
        sock.connect(remote).await?;
        let bound = sock.local_addr()?;
        let s = NalUdpSocket { sock, local: bound };
        let local = s.local_for(remote)?;
        Ok((local, s))
    }

    /// Bound to `local`; an unspecified IP is replaced by one of the
    /// interface's addresses of its family, a port of 0 by an ephemeral one.
    async fn bind_single(
        &self,
        local: SocketAddr,
    ) -> Result<(SocketAddr, NalUdpSocket<'s, 'a>), Error> {
        let stack: &'s Stack<'a> = self;
        let mut local = local;
        if local.ip().is_unspecified() {
            local.set_ip(some_address(stack, local.is_ipv6())?);
        }
        let sock = AsyncSocket::new(stack, Domain::for_address(local), Type::DGRAM)?;
        sock.bind(local)?;
        let local = sock.local_addr()?;
        Ok((local, NalUdpSocket { sock, local }))
    }

    /// Bound to `local` as given (an unspecified IP: every address of the
    /// interface); see the [module docs](self) for the local address
    /// `receive_into` reports then.
    async fn bind_multiple(&self, local: SocketAddr) -> Result<NalUdpSocket<'s, 'a>, Error> {
        let stack: &'s Stack<'a> = self;
        let sock = AsyncSocket::new(stack, Domain::for_address(local), Type::DGRAM)?;
        sock.bind(local)?;
        let local = sock.local_addr()?;
        Ok(NalUdpSocket { sock, local })
    }
}

/// A connected socket: datagrams to and from its peer only.
impl ConnectedUdp for NalUdpSocket<'_, '_> {
    type Error = Error;

    async fn send(&mut self, data: &[u8]) -> Result<(), Error> {
        self.sock.send(data).await.map(|_| ())
    }

    /// One datagram, truncated to `buffer`: the count stored (see the
    /// [module docs](self)).
    async fn receive_into(&mut self, buffer: &mut [u8]) -> Result<usize, Error> {
        self.sock.recv(buffer).await
    }
}

/// A bound socket: datagrams to and from anyone.
impl UnconnectedUdp for NalUdpSocket<'_, '_> {
    type Error = Error;

    /// `local` is checked against the socket's: its port is 0 or the bound
    /// one ([`Error::InvalidInput`] otherwise), its IP unspecified or the one
    /// the datagram leaves from ([`Error::Unsupported`] otherwise: smolsock
    /// does not choose the source address per datagram).
    async fn send(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) -> Result<(), Error> {
        if local.port() != 0 && local.port() != self.local.port() {
            return Err(Error::InvalidInput);
        }
        if !local.ip().is_unspecified() && local.ip() != self.local_for(remote)?.ip() {
            return Err(Error::Unsupported);
        }
        self.sock.send_to(data, remote).await.map(|_| ())
    }

    /// One datagram, truncated to `buffer`, with the local address (see the
    /// [module docs](self)) and the sender.
    async fn receive_into(
        &mut self,
        buffer: &mut [u8],
    ) -> Result<(usize, SocketAddr, SocketAddr), Error> {
        let (n, remote) = self.sock.recv_from(buffer).await?;
        let local = self.local_for(remote)?;
        Ok((n, local, remote))
    }
}
