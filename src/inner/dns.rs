//! The stub resolver's socket in the core: its own entry of the socket set
//! for the stack's whole life (as embassy-net's DNS socket), with buffers of
//! its own; its servers and transaction ids; one resolution at a time.

use super::Inner;
use crate::config::MAX_DNS;
use crate::error::ResolveError;
use crate::resources::DnsStorage;
use crate::slot::Kind;
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::udp;
use smoltcp::wire::IpAddress;

pub(crate) type Servers = heapless::Vec<IpAddress, MAX_DNS>;

/// The resolver's state in the core: its UDP socket's handle, the servers,
/// the next transaction id, and whether a resolution holds the socket.
pub(crate) struct Resolver {
    /// Only ever a UDP socket's, from this set's `add`; never removed.
    handle: SocketHandle,
    servers: Servers,
    next_id: u16,
    busy: bool,
}

impl Resolver {
    /// Add the resolver's socket to `set` (which has room: `StackResources`
    /// counts its entry).
    pub fn new<'a>(
        set: &mut SocketSet<'a>,
        storage: &'a mut DnsStorage,
        servers: &[IpAddress],
        seed: u64,
    ) -> Self {
        let DnsStorage {
            rx,
            tx,
            rx_meta,
            tx_meta,
        } = storage;
        let handle = set.add(udp::Socket::new(
            udp::PacketBuffer::new(&mut rx_meta[..], &mut rx[..]),
            udp::PacketBuffer::new(&mut tx_meta[..], &mut tx[..]),
        ));
        let mut r = Resolver {
            handle,
            servers: heapless::Vec::new(),
            next_id: (seed >> 16) as u16 ^ seed as u16,
            busy: false,
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

    /// The servers asked, in order.
    pub fn servers(&self) -> &[IpAddress] {
        &self.servers
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
    /// Start a resolution: the resolver's socket, bound to a fresh port,
    /// and the servers to ask. `NoBufferSpace` while another resolution
    /// holds the socket (one at a time), `NoServer` with none configured.
    pub fn start_resolution(&mut self) -> Result<Servers, ResolveError> {
        if self.resolver.busy {
            return Err(ResolveError::NoBufferSpace);
        }
        if self.resolver.servers.is_empty() {
            return Err(ResolveError::NoServer);
        }
        let port = self
            .ephemeral_port(Kind::Udp)
            .map_err(|_| ResolveError::NoBufferSpace)?;
        let s = self.dns_socket();
        // Whatever an earlier resolution left (it was cut short) goes.
        s.close();
        s.bind(port).map_err(|_| ResolveError::NoBufferSpace)?;
        self.resolver.busy = true;
        Ok(self.resolver.servers.clone())
    }

    /// End a resolution, whatever its outcome: the socket is closed (its
    /// port and anything queued are let go) and free for the next one.
    pub fn end_resolution(&mut self) {
        self.dns_socket().close();
        self.resolver.busy = false;
    }

    /// The resolver's socket: O(1), and cannot panic (see `socket_mut` in
    /// `mod.rs`: the handle is a UDP socket's of this set, never removed).
    pub fn dns_socket(&mut self) -> &mut udp::Socket<'a> {
        self.set.get_mut::<udp::Socket>(self.resolver.handle)
    }
}
