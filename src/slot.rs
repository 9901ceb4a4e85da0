//! One socket slot: the bookkeeping beside a smoltcp socket.

use crate::Error;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State;
use smoltcp::wire::{IpAddress, IpEndpoint};

/// What kind of smoltcp socket backs a slot (fixed on first use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Unused,
    Tcp,
    Udp,
}

/// Who uses a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    /// Nobody; ready to be handed out.
    Free,
    /// A user's `Socket` (a listener's head slot too).
    User,
    /// A listening socket kept by the listener whose head slot is this index.
    Member(u16),
    /// Closed by the user, still finishing its TCP close (FIN-WAIT, TIME-WAIT…).
    Orphan,
    /// Lent out of the socket set while a DNS query borrows its place.
    Parked,
}

pub(crate) mod flag {
    pub const REUSE: u8 = 1;
    pub const SHUT_RD: u8 = 2;
    pub const SHUT_WR: u8 = 4;
    /// A connection was started or accepted on this socket.
    pub const CONNECTED: u8 = 8;
    /// The peer reset the connection.
    pub const RESET: u8 = 16;
    /// The socket's domain is IPv6.
    pub const V6: u8 = 32;
    /// A connect was started and its outcome not yet returned by `connect`.
    pub const CONNECTING: u8 = 64;
    /// `TCP_NODELAY` (a listener passes it on to accepted sockets).
    pub const NODELAY: u8 = 128;
}

/// Per-slot state. Kept small: see `slot_overhead_bytes` in the benchmark.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    pub handle: Option<SocketHandle>,
    /// Bound local address (`None` = any) and port (0 = not bound).
    pub addr: Option<IpAddress>,
    /// Arrival order (listener members) or close order (orphans).
    pub seq: u32,
    pub port: u16,
    pub gen: u16,
    /// Listen backlog (a listener's head slot), else 0.
    pub backlog: u8,
    pub flags: u8,
    pub kind: Kind,
    pub use_: Use,
    pub last: State,
    /// An error from the background (a refused non-blocking connect),
    /// reported once, as Linux's `SO_ERROR`.
    pub pending: Option<Error>,
    /// A connected UDP socket's peer.
    pub peer: Option<IpEndpoint>,
}

impl Slot {
    pub const UNUSED: Slot = Slot {
        handle: None,
        addr: None,
        seq: 0,
        port: 0,
        gen: 0,
        backlog: 0,
        flags: 0,
        kind: Kind::Unused,
        use_: Use::Free,
        last: State::Closed,
        pending: None,
        peer: None,
    };

    pub fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }

    pub fn set(&mut self, f: u8, on: bool) {
        if on {
            self.flags |= f;
        } else {
            self.flags &= !f;
        }
    }

    /// Reset the per-socket fields for a new owner, keeping the backing socket.
    pub fn reuse(&mut self, use_: Use) {
        *self = Slot {
            handle: self.handle,
            kind: self.kind,
            gen: self.gen.wrapping_add(1),
            use_,
            ..Slot::UNUSED
        };
    }

    pub fn is_listener(&self) -> bool {
        self.use_ == Use::User && self.backlog > 0
    }
}

/// A user's reference to a slot: index plus generation, so a stale id is an
/// error and never another socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SlotId {
    pub index: u16,
    pub gen: u16,
}

impl SlotId {
    /// A closed handle: names no slot.
    pub const CLOSED: SlotId = SlotId {
        index: u16::MAX,
        gen: 0,
    };
}
