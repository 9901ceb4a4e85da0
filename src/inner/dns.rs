//! The stub resolver's socket in the core: its memory, servers and
//! transaction ids, and its place in the socket set, which it borrows for
//! the time of one resolution (`park` lends out a free slot's socket if the
//! set is full) and gives back whatever the outcome.

use super::Inner;
use crate::config::MAX_DNS;
use crate::error::ResolveError;
use crate::resources::DnsStorage;
use crate::slot::Kind;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::udp;
use smoltcp::wire::IpAddress;

pub(crate) type Servers = heapless::Vec<IpAddress, MAX_DNS>;

/// The resolver's state in the core: its socket (outside the set between
/// queries), the servers, the next transaction id.
pub(crate) struct Resolver<'a> {
    socket: Option<udp::Socket<'a>>,
    /// The socket's handle while it is in the set (`Some` exactly then).
    in_set: Option<SocketHandle>,
    servers: Servers,
    next_id: u16,
}

impl<'a> Resolver<'a> {
    pub fn new(storage: &'a mut DnsStorage, servers: &[IpAddress], seed: u64) -> Self {
        let DnsStorage {
            rx,
            tx,
            rx_meta,
            tx_meta,
        } = storage;
        let socket = udp::Socket::new(
            udp::PacketBuffer::new(&mut rx_meta[..], &mut rx[..]),
            udp::PacketBuffer::new(&mut tx_meta[..], &mut tx[..]),
        );
        let mut r = Resolver {
            socket: Some(socket),
            in_set: None,
            servers: heapless::Vec::new(),
            next_id: (seed >> 16) as u16 ^ seed as u16,
        };
        r.set_servers(servers);
        r
    }

    /// Replace the servers (those beyond `MAX_DNS` are left out).
    pub fn set_servers(&mut self, servers: &[IpAddress]) {
        self.servers.clear();
        for s in servers.iter().take(self.servers.capacity()) {
            let _ = self.servers.push(*s);
        }
    }

    /// A transaction id that does not repeat soon (xorshift).
    pub fn next_id(&mut self) -> u16 {
        let mut x = self.next_id | 1;
        x ^= x << 7;
        x ^= x >> 9;
        x ^= x << 8;
        self.next_id = x;
        x
    }
}

impl<'a> Inner<'a> {
    /// Put the resolver's socket into the set, on a fresh port.
    pub fn dns_begin(&mut self) -> Result<Servers, ResolveError> {
        let i = self;
        let servers = i.resolver.servers.clone();
        if servers.is_empty() {
            return Err(ResolveError::NoServer);
        }
        let port = i
            .ephemeral_port(Kind::Udp)
            .map_err(|_| ResolveError::NoBufferSpace)?;
        if i.resolver.socket.is_none() || !i.park() {
            return Err(ResolveError::NoBufferSpace);
        }
        let Some(mut sock) = i.resolver.socket.take() else {
            return Err(ResolveError::NoBufferSpace);
        };
        if sock.bind(port).is_err() {
            i.resolver.socket = Some(sock);
            i.unpark();
            return Err(ResolveError::NoBufferSpace);
        }
        i.resolver.in_set = Some(i.set.add(sock));
        Ok(servers)
    }

    /// Take the resolver's socket out of the set and put back what was lent.
    pub fn dns_end(&mut self) {
        let i = self;
        let Some(h) = i.resolver.in_set.take() else {
            return;
        };
        if let smoltcp::socket::Socket::Udp(mut s) = i.set.remove(h) {
            s.close();
            i.resolver.socket = Some(s);
        }
        i.unpark();
    }

    /// The resolver's socket while it is in the set: O(1), and `get_mut`
    /// cannot panic: `in_set` is a UDP socket's handle from this set's
    /// `add`, and is taken before that socket is removed.
    pub fn dns_socket(&mut self) -> Option<&mut udp::Socket<'a>> {
        let h = self.resolver.in_set?;
        Some(self.set.get_mut::<udp::Socket>(h))
    }
}
