//! Caller-provided memory, sized by const generics (as embassy-net's `StackResources`).

use crate::slot::{Slot, MAX_SLOTS};
use core::cell::Cell;
use smoltcp::iface::SocketStorage;
#[cfg(feature = "udp")]
use smoltcp::socket::udp;

/// Datagrams a UDP socket can hold queued in each direction.
#[cfg(feature = "udp")]
pub const UDP_PACKETS: usize = 8;

/// Everything a [`Stack`](crate::Stack) needs, owned by the caller and
/// placed wherever suits it: a `static` in firmware, the stack or heap on Linux.
///
/// Socket slots (see below for their count), each with a `BUF`-byte receive and a `BUF`-byte
/// transmit buffer (a TCP socket's window; a UDP socket's datagram space).
/// A listener with backlog `n` takes `n` slots. A slot becomes TCP or UDP the
/// first time it is used and stays that kind. At most `UDP` slots (default:
/// all of them) can become UDP: only those carry a datagram socket's packet
/// metadata (2 × `UDP_PACKETS` entries (feature `udp`), 768 bytes on 64-bit targets), so
/// with a small `UDP` a TCP slot costs its two buffers plus about 560 bytes;
/// a UDP socket beyond that count is [`NoBufferSpace`](crate::Error::NoBufferSpace).
///
/// **DNS takes one entry of the set.** `SOCKETS` is the number of entries
/// of smoltcp's socket set; with the feature `dns` the resolver's socket has
/// one of them for the stack's whole life (as embassy-net's DNS socket
/// does), with buffers of its own (about 2.3 KiB), so `SOCKETS - 1` are
/// socket slots; without it, all `SOCKETS` are. `SOCKETS` is at most 65,534,
/// and at least 1 with `dns` (both checked when the program is compiled).
/// With `Config::with_dhcp` (feature `dhcp`) the DHCP
/// client takes one more entry for the stack's whole life (no buffers of
/// its own beyond a lease's few bytes): one socket slot fewer again.
///
/// ```
/// use smolsock::StackResources;
/// // 8 entries with 4 KiB buffers each way: with the feature `dns`, 7
/// // socket slots and the resolver.
/// let res = StackResources::<8, 4096>::new();
/// assert!(core::mem::size_of_val(&res) > 8 * 2 * 4096);
/// // 10 slots of which at most 2 can be UDP sockets (the other 8 carry no
/// // packet metadata: firmware serving TCP sessions saves 768 B per slot).
/// let tcp_only = StackResources::<10, 1024, 2>::new();
/// # let _ = tcp_only;
/// ```
pub struct StackResources<'d, const SOCKETS: usize, const BUF: usize, const UDP: usize = SOCKETS> {
    pub(crate) storage: [SocketStorage<'d>; SOCKETS],
    pub(crate) slots: [Slot; SOCKETS],
    /// Closes requested while the stack was busy (a `Socket` dropped inside a
    /// `recv_with` closure): the slot generation to close, done on the next
    /// access. Outside the stack's `RefCell`, one per slot, so a deferred
    /// close can never be lost.
    pub(crate) deferred: [Cell<Option<u16>>; SOCKETS],
    /// The async front end's wakers, a read and a write one per slot.
    #[cfg(feature = "async")]
    pub(crate) wakers: [crate::waiters::SlotWakers; SOCKETS],
    pub(crate) rx: [[u8; BUF]; SOCKETS],
    pub(crate) tx: [[u8; BUF]; SOCKETS],
    /// Packet metadata for the first `UDP` slots that become UDP sockets.
    #[cfg(feature = "udp")]
    pub(crate) rx_meta: [[udp::PacketMetadata; UDP_PACKETS]; UDP],
    #[cfg(feature = "udp")]
    pub(crate) tx_meta: [[udp::PacketMetadata; UDP_PACKETS]; UDP],
    /// The stub resolver's own small socket buffers.
    #[cfg(feature = "dns")]
    pub(crate) dns: DnsStorage,
    /// The DHCP client's outgoing option (the host name), which smoltcp's
    /// socket borrows for the stack's life.
    #[cfg(feature = "dhcp")]
    pub(crate) dhcp_options: [smoltcp::wire::DhcpOption<'d>; 1],
}

impl<const SOCKETS: usize, const BUF: usize, const UDP: usize>
    StackResources<'_, SOCKETS, BUF, UDP>
{
    /// Zeroed resources; `const`, so they can live in a `static`.
    pub const fn new() -> Self {
        const {
            assert!(
                SOCKETS <= MAX_SLOTS,
                "StackResources: at most 65,534 sockets (slot indices are u16)"
            );
            assert!(
                !cfg!(feature = "dns") || SOCKETS >= 1,
                "StackResources: with the feature `dns`, the resolver takes one of the SOCKETS"
            );
        };
        StackResources {
            storage: [const { SocketStorage::EMPTY }; SOCKETS],
            slots: [const { Slot::UNUSED }; SOCKETS],
            deferred: [const { Cell::new(None) }; SOCKETS],
            #[cfg(feature = "async")]
            wakers: [const { crate::waiters::no_wakers() }; SOCKETS],
            rx: [[0; BUF]; SOCKETS],
            tx: [[0; BUF]; SOCKETS],
            #[cfg(feature = "udp")]
            rx_meta: [[udp::PacketMetadata::EMPTY; UDP_PACKETS]; UDP],
            #[cfg(feature = "udp")]
            tx_meta: [[udp::PacketMetadata::EMPTY; UDP_PACKETS]; UDP],
            #[cfg(feature = "dns")]
            dns: DnsStorage::new(),
            #[cfg(feature = "dhcp")]
            dhcp_options: [smoltcp::wire::DhcpOption { kind: 0, data: &[] }],
        }
    }
}

impl<const SOCKETS: usize, const BUF: usize, const UDP: usize> Default
    for StackResources<'_, SOCKETS, BUF, UDP>
{
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "dns")]
/// Longest query: header (12) + name (255) + type and class (4).
pub(crate) const DNS_MAX_QUERY: usize = 12 + 255 + 4;
/// A classic DNS reply over UDP is at most 512 bytes.
#[cfg(feature = "dns")]
pub(crate) const DNS_MAX_REPLY: usize = 512;

/// The largest UDP payload one Ethernet frame carries (1500 - 20 - 8): a
/// reply up to this size reaches the resolver, which can then say it is
/// too large (`ResolveError::BadResponse`) instead of timing out.
#[cfg(feature = "dns")]
pub(crate) const DNS_MAX_DATAGRAM: usize = 1472;

#[cfg(feature = "dns")]
/// The resolver's socket memory, inside [`StackResources`](crate::StackResources):
/// room for a classic (512-byte) reply and a datagram of the largest size
/// (an oversized reply is received to be refused), and one query.
pub(crate) struct DnsStorage {
    pub rx: [u8; DNS_MAX_REPLY + DNS_MAX_DATAGRAM],
    pub tx: [u8; DNS_MAX_QUERY],
    pub rx_meta: [udp::PacketMetadata; 2],
    pub tx_meta: [udp::PacketMetadata; 1],
}

#[cfg(feature = "dns")]
impl DnsStorage {
    pub const fn new() -> Self {
        DnsStorage {
            rx: [0; DNS_MAX_REPLY + DNS_MAX_DATAGRAM],
            tx: [0; DNS_MAX_QUERY],
            rx_meta: [udp::PacketMetadata::EMPTY; 2],
            tx_meta: [udp::PacketMetadata::EMPTY; 1],
        }
    }
}

/// The buffers not yet handed to a socket, carved off in order.
pub(crate) struct BufPool<'a> {
    pub rx: &'a mut [u8],
    pub tx: &'a mut [u8],
    #[cfg(feature = "udp")]
    pub rx_meta: &'a mut [udp::PacketMetadata],
    #[cfg(feature = "udp")]
    pub tx_meta: &'a mut [udp::PacketMetadata],
    pub buf: usize,
}

/// One slot's share of the pool.
pub(crate) struct SlotBufs<'a> {
    pub rx: &'a mut [u8],
    pub tx: &'a mut [u8],
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
    /// One slot's byte buffers.
    pub fn take(&mut self) -> Option<SlotBufs<'a>> {
        let buf = self.buf;
        Some(SlotBufs {
            rx: carve(&mut self.rx, buf)?,
            tx: carve(&mut self.tx, buf)?,
        })
    }

    /// How many more UDP sockets can get their packet metadata.
    #[cfg(feature = "udp")]
    pub fn udp_left(&self) -> usize {
        self.rx_meta.len().min(self.tx_meta.len()) / UDP_PACKETS
    }

    /// One UDP socket's packet metadata (receive, transmit).
    #[cfg(feature = "udp")]
    pub fn take_meta(
        &mut self,
    ) -> Option<(&'a mut [udp::PacketMetadata], &'a mut [udp::PacketMetadata])> {
        Some((
            carve(&mut self.rx_meta, UDP_PACKETS)?,
            carve(&mut self.tx_meta, UDP_PACKETS)?,
        ))
    }
}
