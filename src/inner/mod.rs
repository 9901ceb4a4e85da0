//! The one private core behind `Stack`: interface, socket set, slot table.
//! Every method runs inside one `RefCell` borrow taken by `Stack`.
//!
//! One concern per file:
//! - `mod.rs`: the `Inner` type, the type-erased device, lookups, stats;
//! - `lifecycle.rs`: every change of a slot's owner (claim, adopt, orphan,
//!   release, close);
//! - `ports.rs`: ephemeral ports and bind conflicts;
//! - `dest.rs`: special destinations refused at once (multicast, broadcast,
//!   loopback, the stack's own address);
//! - `backlog.rs`: a listener's armed slots and accept;
//! - `observe.rs`: what state changes mean, after each packet or batch;
//! - `poll.rs`: moving packets and running timers;
//! - `timeout.rs`: the one policy for smoltcp's per-socket timeout.

mod backlog;
mod dest;
#[cfg(feature = "dhcp")]
mod dhcp;
#[cfg(feature = "dns")]
mod dns;
mod lifecycle;
mod observe;
mod poll;
mod ports;
mod timeout;

use crate::error::{Error, Result};
use crate::resources::BufPool;
use crate::slot::{Kind, Owner, Slot, SlotId};
use smoltcp::iface::{Context, Interface, SocketSet};
use smoltcp::socket::tcp::{self, State};
#[cfg(feature = "udp")]
use smoltcp::socket::udp;
use smoltcp::socket::AnySocket;
use smoltcp::time::Instant;

pub(crate) use crate::device::Driver;
pub use backlog::MAX_BACKLOG;
#[cfg(feature = "dhcp")]
pub(crate) use dhcp::Dhcp;
#[cfg(feature = "dns")]
pub(crate) use dns::{Resolver, Servers};

/// How the stack's socket slots are used at one moment ([`Stack::stats`](crate::Stack::stats)):
/// a soak test checks that usage returns to its baseline.
///
/// A slot's kind is fixed by its first use: smoltcp's sockets take their
/// buffers for good (no call gives them back, so a TCP socket cannot be
/// taken apart and its memory made into a UDP socket). [`free`](Self::free)
/// counts free slots of either kind; [`free_tcp`](Self::free_tcp) and
/// [`free_udp`](Self::free_udp) say how many new sockets of each kind can be
/// made now, and a `Socket::new` beyond them is
/// [`Error::NoBufferSpace`](crate::Error::NoBufferSpace).
///
/// ```
/// use smolsock::{Config, Domain, Error, SimClock, Socket, Stack, StackResources, Type};
/// use smoltcp::phy::{Loopback, Medium};
/// let clock = SimClock::new();
/// let mut dev = Loopback::new(Medium::Ip);
/// // 4 slots, and (feature `dns`) the resolver's entry of the set.
/// let mut res = StackResources::<5, 256>::new();
/// let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).unwrap();
/// let l = Socket::new(&stack, Domain::IPV4, Type::STREAM).unwrap();
/// l.bind("127.0.0.1:80".parse().unwrap()).unwrap();
/// l.listen(100).unwrap(); // takes every slot, all four become TCP
/// drop(l);
/// let st = stack.stats().unwrap();
/// assert_eq!((st.free, st.free_tcp, st.free_udp), (4, 4, 0));
/// let udp = Socket::new(&stack, Domain::IPV4, Type::DGRAM);
/// assert_eq!(udp.err(), Some(Error::NoBufferSpace));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct Stats {
    /// All socket slots (`SOCKETS` of the [`StackResources`](crate::StackResources),
    /// less the resolver's entry with the feature `dns`).
    pub slots: usize,
    /// Never used yet (no smoltcp socket made for them).
    pub unused: usize,
    /// Made once, now free for the next socket.
    pub free: usize,
    /// Held by a user's `Socket` (a listener's own slot included).
    pub user: usize,
    /// Armed in LISTEN (or holding a connection not yet accepted) for a listener's backlog.
    pub backlog: usize,
    /// Closed by the user, still finishing the TCP close (FIN-WAIT, TIME-WAIT).
    pub closing: usize,
    /// New TCP sockets that can be made now: free TCP slots and unused ones.
    /// (A TCP `Socket::new` may also reclaim a `closing` slot in TIME-WAIT
    /// or FIN-WAIT-2, or take back an idle `backlog` slot.)
    pub free_tcp: usize,
    /// New UDP sockets that can be made now: free UDP slots and the unused
    /// ones that can still get a datagram socket's packet metadata (the
    /// `UDP` parameter of [`StackResources`](crate::StackResources)). 0
    /// without the feature `udp`.
    pub free_udp: usize,
}

pub(crate) struct Inner<'a> {
    pub iface: Interface,
    pub set: SocketSet<'a>,
    pub slots: &'a mut [Slot],
    pub device: &'a mut dyn Driver,
    pub pool: BufPool<'a>,
    /// The stub resolver: its socket's handle (its own entry of the set,
    /// for the stack's whole life), servers, transaction ids.
    #[cfg(feature = "dns")]
    pub resolver: Resolver,
    /// The DHCP client (feature `dhcp`, `Config::dhcp`).
    #[cfg(feature = "dhcp")]
    pub dhcp: Option<Dhcp>,
    /// The device's link state at the last poll (devices without one: up).
    pub link_up: bool,
    pub now: Instant,
    next_port: u16,
    seq: u32,
    /// A listener may have fewer armed slots than its backlog (a slot was
    /// taken back or released): the next poll re-arms.
    rearm_pending: bool,
}

/// A smoltcp socket type a slot can hold, and the [`Kind`] it records.
pub(crate) trait OfKind<'a>: AnySocket<'a> {
    const KIND: Kind;
}

impl<'a> OfKind<'a> for tcp::Socket<'a> {
    const KIND: Kind = Kind::Tcp;
}

#[cfg(feature = "udp")]
impl<'a> OfKind<'a> for udp::Socket<'a> {
    const KIND: Kind = Kind::Udp;
}

/// Slot `s`'s smoltcp socket, if it is a `T`: O(1), `SocketSet::get_mut`.
///
/// smoltcp's `get_mut` panics on a handle of another set, on one whose
/// socket was removed, and on a socket of another type; none can reach it:
/// - the core has one set, and every handle it keeps came from that set's
///   `add` (`create`, and the resolver's in `Stack::new`);
/// - nothing is ever removed from the set (no `SocketSet::remove` in the
///   crate): a slot keeps its socket for the stack's whole life, and so
///   does the resolver;
/// - `handle` and `kind` are written together (`create`), and `kind` is
///   checked here before the typed lookup (`swap_sockets` exchanges the
///   handles of two TCP slots: kinds alike).
fn socket_mut<'s, 'a, T: OfKind<'a>>(set: &'s mut SocketSet<'a>, s: &Slot) -> Option<&'s mut T> {
    let h = s.handle.filter(|_| s.kind == Some(T::KIND))?;
    Some(set.get_mut::<T>(h))
}

/// Read-only [`socket_mut`].
fn socket_ref<'s, 'a, T: OfKind<'a>>(set: &'s SocketSet<'a>, s: &Slot) -> Option<&'s T> {
    let h = s.handle.filter(|_| s.kind == Some(T::KIND))?;
    Some(set.get::<T>(h))
}

/// The slot `id` names, if it is still that user's.
fn owned(slots: &mut [Slot], id: SlotId) -> Result<&mut Slot> {
    match slots.get_mut(id.index as usize) {
        Some(s) if s.gen == id.gen && s.owner == Owner::User => Ok(s),
        _ => Err(Error::BadDescriptor),
    }
}

/// A user's slot and its smoltcp socket of type `T`, together.
fn user_socket<'s, 'a, T: OfKind<'a>>(
    slots: &'s mut [Slot],
    set: &'s mut SocketSet<'a>,
    id: SlotId,
) -> Result<(&'s mut Slot, &'s mut T)> {
    let s = owned(slots, id)?;
    let sock = socket_mut(set, s).ok_or(Error::BadDescriptor)?;
    Ok((s, sock))
}

impl<'a> Inner<'a> {
    pub fn new(
        iface: Interface,
        set: SocketSet<'a>,
        slots: &'a mut [Slot],
        device: &'a mut dyn Driver,
        pool: BufPool<'a>,
        #[cfg(feature = "dns")] resolver: Resolver,
        seed: u64,
    ) -> Self {
        Inner {
            iface,
            set,
            slots,
            device,
            pool,
            #[cfg(feature = "dns")]
            resolver,
            #[cfg(feature = "dhcp")]
            dhcp: None,
            link_up: true,
            now: Instant::ZERO,
            next_port: ports::first_ephemeral(seed),
            seq: 0,
            rearm_pending: false,
        }
    }

    // ---- lookups -------------------------------------------------------

    /// The slot a user id names, if it is still that user's.
    pub fn slot(&self, id: SlotId) -> Result<&Slot> {
        match self.slots.get(id.index as usize) {
            Some(s) if s.gen == id.gen && s.owner == Owner::User => Ok(s),
            _ => Err(Error::BadDescriptor),
        }
    }

    pub fn slot_mut(&mut self, id: SlotId) -> Result<&mut Slot> {
        owned(self.slots, id)
    }

    /// Change slot `index` (no-op for an index out of range).
    pub fn edit(&mut self, index: usize, f: impl FnOnce(&mut Slot)) {
        if let Some(s) = self.slots.get_mut(index) {
            f(s);
        }
    }

    /// Slot `index`'s TCP socket, whoever owns the slot.
    pub fn tcp_at(&mut self, index: usize) -> Result<&mut tcp::Socket<'a>> {
        let s = self.slots.get(index).ok_or(Error::BadDescriptor)?;
        socket_mut(&mut self.set, s).ok_or(Error::BadDescriptor)
    }

    /// Slot `index`'s TCP socket, read-only.
    pub fn tcp_ref(&self, index: usize) -> Option<&tcp::Socket<'a>> {
        socket_ref(&self.set, self.slots.get(index)?)
    }

    /// The TCP state of slot `index`, if it has a TCP socket.
    pub fn tcp_state(&self, index: usize) -> Option<State> {
        self.tcp_ref(index).map(|t| t.state())
    }

    /// A user's slot and its TCP socket, together.
    pub fn tcp(&mut self, id: SlotId) -> Result<(&mut Slot, &mut tcp::Socket<'a>)> {
        user_socket(self.slots, &mut self.set, id)
    }

    /// A user's slot, TCP socket and the interface context (for `connect`).
    pub fn tcp_cx(
        &mut self,
        id: SlotId,
    ) -> Result<(&mut Slot, &mut tcp::Socket<'a>, &mut Context)> {
        let (s, t) = user_socket(self.slots, &mut self.set, id)?;
        Ok((s, t, self.iface.context()))
    }

    /// A user's slot and its UDP socket, together.
    #[cfg(feature = "udp")]
    pub fn udp(&mut self, id: SlotId) -> Result<(&mut Slot, &mut udp::Socket<'a>)> {
        user_socket(self.slots, &mut self.set, id)
    }

    /// Can the interface send to `dst` at all: has it an address of `dst`'s
    /// family? (smoltcp would use `::1` as the source for any IPv6 peer on
    /// a stack with no IPv6 address, and the connection would hang.)
    pub fn has_source_for(&self, dst: &smoltcp::wire::IpAddress) -> bool {
        self.iface
            .ip_addrs()
            .iter()
            .any(|c| c.address().version() == dst.version())
    }

    /// The next arrival (or close) number.
    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// How the slots are used now.
    pub fn stats(&self) -> Stats {
        let mut st = Stats {
            slots: self.slots.len(),
            ..Stats::default()
        };
        for s in self.slots.iter() {
            match (s.kind, s.owner) {
                (None, _) => st.unused += 1,
                (_, Owner::Free) => st.free += 1,
                (_, Owner::User) => st.user += 1,
                (_, Owner::Member(_)) => st.backlog += 1,
                (_, Owner::Orphan) => st.closing += 1,
            }
        }
        let free_of = |kind| self.slots.iter().filter(|s| s.is_free(kind)).count();
        st.free_tcp = free_of(Kind::Tcp) + st.unused;
        #[cfg(feature = "udp")]
        {
            st.free_udp = free_of(Kind::Udp) + st.unused.min(self.pool.udp_left());
        }
        st
    }
}
