//! One socket slot: the bookkeeping beside a smoltcp socket.

use crate::error::Error;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State;
use smoltcp::time::Duration;
use smoltcp::wire::{IpAddress, IpEndpoint};

/// Most slots a stack can have: slot indices are `u16`, and `u16::MAX`
/// names no slot (a closed handle).
pub const MAX_SLOTS: usize = u16::MAX as usize - 1;

/// What kind of smoltcp socket backs a slot (fixed on first use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Tcp,
    #[cfg(feature = "udp")]
    Udp,
}

/// Who owns a slot. Every change of owner is one of `Inner`'s named
/// lifecycle operations (`claim`, `adopt`, `orphan`, `release`, `close`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// Nobody; ready to be handed out.
    Free,
    /// A user's `Socket` (a listener's head slot too).
    User,
    /// A listening socket kept by the listener whose head slot is this index.
    Member(u16),
    /// Closed by the user, still finishing its TCP close (FIN-WAIT, TIME-WAIT…).
    Orphan,
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

/// Options beyond the flags (socket2's names), kept per slot so that a
/// listener's reach the sockets it accepts. Seconds, as Linux's are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Opts {
    /// `SO_KEEPALIVE`.
    pub keepalive: bool,
    /// `TCP_KEEPIDLE`, `TCP_KEEPINTVL` (s), `TCP_KEEPCNT`.
    pub keep_idle: u16,
    pub keep_intvl: u16,
    pub keep_cnt: u8,
    /// `IP_TTL` / `IPV6_UNICAST_HOPS`; 0: the default (64).
    pub ttl: u8,
    /// `SO_LINGER` (s); `None`: off.
    pub linger: Option<u16>,
}

impl Opts {
    /// Linux's defaults: keep-alive off, 7200 s idle, 75 s apart, 9 probes.
    pub const DEFAULT: Opts = Opts {
        keepalive: false,
        keep_idle: 7200,
        keep_intvl: 75,
        keep_cnt: 9,
        ttl: 0,
        linger: None,
    };

    /// smoltcp's keep-alive period (the first probe after `keep_idle` of
    /// silence) and its timeout: the silence after which the connection
    /// is dead, `keep_idle + keep_intvl × keep_cnt` as on Linux.
    pub fn keepalive_timers(&self) -> (Option<Duration>, Option<Duration>) {
        if !self.keepalive {
            return (None, None);
        }
        let idle = u64::from(self.keep_idle);
        let dead = idle + u64::from(self.keep_intvl) * u64::from(self.keep_cnt);
        (
            Some(Duration::from_secs(idle)),
            Some(Duration::from_secs(dead)),
        )
    }

    /// The hop limit for smoltcp (`None`: its default).
    pub fn hop_limit(&self) -> Option<u8> {
        (self.ttl != 0).then_some(self.ttl)
    }
}

/// Per-slot state. Kept small: see `slot_overhead_bytes` in the benchmark.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    pub handle: Option<SocketHandle>,
    /// Bound local address (`None` = any) and port (0 = not bound).
    pub addr: Option<IpAddress>,
    /// Arrival order (listener members) or close order (orphans); for a
    /// user's connection shut for reading, the bytes queued at the shutdown
    /// (more arriving after a FIN of ours resets it, as on Linux).
    pub seq: u32,
    pub port: u16,
    pub gen: u16,
    /// Listen backlog (a listener's head slot), else 0.
    pub backlog: u8,
    pub flags: u8,
    /// `None` until the slot's smoltcp socket is made.
    pub kind: Option<Kind>,
    pub owner: Owner,
    /// The TCP state `observe` saw last.
    pub last_state: State,
    /// An error from the background (a refused non-blocking connect),
    /// reported once, as Linux's `SO_ERROR`.
    pub pending: Option<Error>,
    /// The peer: a connected UDP socket's default, a TCP connection's remote
    /// end (kept, so data that arrived before a reset still has its sender).
    pub peer: Option<IpEndpoint>,
    /// Keep-alive, linger, TTL.
    pub opts: Opts,
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
        kind: None,
        owner: Owner::Free,
        last_state: State::Closed,
        pending: None,
        peer: None,
        opts: Opts::DEFAULT,
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
    pub fn reuse(&mut self, owner: Owner) {
        *self = Slot {
            handle: self.handle,
            kind: self.kind,
            gen: self.gen.wrapping_add(1),
            owner,
            ..Slot::UNUSED
        };
    }

    pub fn is_listener(&self) -> bool {
        self.owner == Owner::User && self.backlog > 0
    }

    /// A listener's head slot or one of its armed members.
    pub fn is_listening(&self) -> bool {
        self.is_listener() || matches!(self.owner, Owner::Member(_))
    }

    /// A made socket of `kind` that nobody owns.
    pub fn is_free(&self, kind: Kind) -> bool {
        self.kind == Some(kind) && self.owner == Owner::Free && self.handle.is_some()
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
    /// A closed handle: names no slot (`StackResources` bounds the slot count below it).
    pub const CLOSED: SlotId = SlotId {
        index: u16::MAX,
        gen: 0,
    };
}
