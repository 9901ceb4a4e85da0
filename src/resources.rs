//! Caller-provided memory, sized by const generics (as embassy-net's `StackResources`).

use crate::slot::Slot;
use smoltcp::iface::SocketStorage;
use smoltcp::socket::dns::DnsQuery;
use smoltcp::socket::udp;

/// Datagrams a UDP socket can hold queued in each direction.
pub const UDP_PACKETS: usize = 8;

/// Everything a [`Stack`](crate::Stack) needs, owned by the caller and
/// placed wherever suits it: a `static` in firmware, the stack or heap on Linux.
///
/// `SOCKETS` socket slots, each with a `BUF`-byte receive and a `BUF`-byte
/// transmit buffer (a TCP socket's window; a UDP socket's datagram space).
/// A listener with backlog `n` takes `n` slots. A slot becomes TCP or UDP the
/// first time it is used and stays that kind. A name resolution borrows a
/// free slot's place for the time of the query, not its buffers.
///
/// ```
/// use smolsock::StackResources;
/// // 8 sockets with 4 KiB buffers each way.
/// let res = StackResources::<8, 4096>::new();
/// assert!(core::mem::size_of_val(&res) > 8 * 2 * 4096);
/// ```
pub struct StackResources<'d, const SOCKETS: usize, const BUF: usize> {
    pub(crate) storage: [SocketStorage<'d>; SOCKETS],
    pub(crate) slots: [Slot; SOCKETS],
    pub(crate) rx: [[u8; BUF]; SOCKETS],
    pub(crate) tx: [[u8; BUF]; SOCKETS],
    pub(crate) rx_meta: [[udp::PacketMetadata; UDP_PACKETS]; SOCKETS],
    pub(crate) tx_meta: [[udp::PacketMetadata; UDP_PACKETS]; SOCKETS],
    pub(crate) dns_queries: [Option<DnsQuery>; 1],
}

impl<const SOCKETS: usize, const BUF: usize> StackResources<'_, SOCKETS, BUF> {
    /// Zeroed resources; `const`, so they can live in a `static`.
    pub const fn new() -> Self {
        StackResources {
            storage: [const { SocketStorage::EMPTY }; SOCKETS],
            slots: [const { Slot::UNUSED }; SOCKETS],
            rx: [[0; BUF]; SOCKETS],
            tx: [[0; BUF]; SOCKETS],
            rx_meta: [[udp::PacketMetadata::EMPTY; UDP_PACKETS]; SOCKETS],
            tx_meta: [[udp::PacketMetadata::EMPTY; UDP_PACKETS]; SOCKETS],
            dns_queries: [const { None }; 1],
        }
    }
}

impl<const SOCKETS: usize, const BUF: usize> Default for StackResources<'_, SOCKETS, BUF> {
    fn default() -> Self {
        Self::new()
    }
}

/// The buffers not yet handed to a socket, carved off in order.
pub(crate) struct BufPool<'a> {
    pub rx: &'a mut [u8],
    pub tx: &'a mut [u8],
    pub rx_meta: &'a mut [udp::PacketMetadata],
    pub tx_meta: &'a mut [udp::PacketMetadata],
    pub buf: usize,
}

/// One slot's share of the pool.
pub(crate) struct SlotBufs<'a> {
    pub rx: &'a mut [u8],
    pub tx: &'a mut [u8],
    pub rx_meta: &'a mut [udp::PacketMetadata],
    pub tx_meta: &'a mut [udp::PacketMetadata],
}

fn carve<'a, T>(pool: &mut &'a mut [T], n: usize) -> Option<&'a mut [T]> {
    let all = core::mem::take(pool);
    if all.len() < n {
        *pool = all;
        return None;
    }
    let (mine, rest) = all.split_at_mut(n);
    *pool = rest;
    Some(mine)
}

impl<'a> BufPool<'a> {
    pub fn take(&mut self) -> Option<SlotBufs<'a>> {
        let buf = self.buf;
        Some(SlotBufs {
            rx: carve(&mut self.rx, buf)?,
            tx: carve(&mut self.tx, buf)?,
            rx_meta: carve(&mut self.rx_meta, UDP_PACKETS)?,
            tx_meta: carve(&mut self.tx_meta, UDP_PACKETS)?,
        })
    }
}
