//! The one private core behind `Stack`: interface, socket set, slot table.
//! Everything here runs inside one short `RefCell` borrow.

use crate::resources::{BufPool, SlotBufs};
use crate::slot::{flag, Kind, Slot, SlotId, Use};
use crate::{Error, Result};
use smoltcp::iface::{
    Context, Interface, PollIngressSingleResult, PollResult, SocketHandle, SocketSet,
};
use smoltcp::phy::Device;
use smoltcp::socket::tcp::{self, State};
use smoltcp::socket::{dns, udp, AnySocket, Socket as AnySock};
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::IpListenEndpoint;

/// First and last ephemeral port (IANA range, as Linux's default-ish).
const EPHEMERAL: (u16, u16) = (49152, 65535);
/// How long an orphan may linger in FIN-WAIT-2 / wait for ACKs.
const ORPHAN_TIMEOUT: Duration = Duration::from_secs(60);
/// Delayed ACKs off: smoltcp's 10 ms delay stalls a window update when a
/// full receive buffer drains, and meets Nagle in a 10 ms stall on every
/// second small write (Linux avoids both with "quick ACK" mode).
const ACK_DELAY: Option<Duration> = None;
/// Packets taken from the device per round.
const MAX_INGRESS: usize = 256;
/// Bound on poll rounds per `poll` call (each round drains the device).
const MAX_ROUNDS: usize = 64;

/// A `Device` with its type erased, so `Stack` and `Socket` are not generic.
pub(crate) trait Driver {
    fn ingress(&mut self, iface: &mut Interface, set: &mut SocketSet<'_>, now: Instant) -> bool;
    fn egress(&mut self, iface: &mut Interface, set: &mut SocketSet<'_>, now: Instant) -> bool;
}

impl<D: Device + ?Sized> Driver for D {
    fn ingress(&mut self, iface: &mut Interface, set: &mut SocketSet<'_>, now: Instant) -> bool {
        iface.poll_ingress_single(now, self, set) != PollIngressSingleResult::None
    }
    fn egress(&mut self, iface: &mut Interface, set: &mut SocketSet<'_>, now: Instant) -> bool {
        iface.poll_egress(now, self, set) == PollResult::SocketStateChanged
    }
}

pub(crate) struct Inner<'a> {
    pub iface: Interface,
    pub set: SocketSet<'a>,
    pub slots: &'a mut [Slot],
    pub device: &'a mut dyn Driver,
    pub pool: BufPool<'a>,
    /// The DNS socket, outside the set between queries.
    pub dns: Option<dns::Socket<'a>>,
    /// A socket lent out of the set while the DNS socket uses its place.
    pub parked: Option<(u16, AnySock<'a>)>,
    /// How many DNS servers the DNS socket knows.
    pub dns_servers: usize,
    pub now: Instant,
    next_port: u16,
    seq: u32,
    /// A listener has fewer armed slots than its backlog.
    short: bool,
}

fn find<'s, 'a, T: AnySocket<'a>>(
    set: &'s mut SocketSet<'a>,
    h: SocketHandle,
) -> Option<&'s mut T> {
    set.iter_mut()
        .find(|(handle, _)| *handle == h)
        .and_then(|(_, s)| T::downcast_mut(s))
}

/// The slot `id` names, if it is still that user's.
fn owned(slots: &mut [Slot], id: SlotId) -> Result<&mut Slot> {
    match slots.get_mut(id.index as usize) {
        Some(s) if s.gen == id.gen && s.use_ == Use::User => Ok(s),
        _ => Err(Error::BadDescriptor),
    }
}

impl<'a> Inner<'a> {
    pub fn new(
        iface: Interface,
        set: SocketSet<'a>,
        slots: &'a mut [Slot],
        device: &'a mut dyn Driver,
        pool: BufPool<'a>,
        dns: Option<dns::Socket<'a>>,
        seed: u64,
    ) -> Self {
        let span = (EPHEMERAL.1 - EPHEMERAL.0) as u64;
        Inner {
            iface,
            set,
            slots,
            device,
            pool,
            dns,
            parked: None,
            dns_servers: 0,
            now: Instant::ZERO,
            next_port: EPHEMERAL.0 + (seed % span) as u16,
            seq: 0,
            short: false,
        }
    }

    // ---- lookups -------------------------------------------------------

    /// The slot a user id names, if it is still that user's.
    pub fn slot(&self, id: SlotId) -> Result<&Slot> {
        match self.slots.get(id.index as usize) {
            Some(s) if s.gen == id.gen && s.use_ == Use::User => Ok(s),
            _ => Err(Error::BadDescriptor),
        }
    }

    pub fn slot_mut(&mut self, id: SlotId) -> Result<&mut Slot> {
        owned(self.slots, id)
    }

    pub fn tcp_at(&mut self, i: usize) -> Result<&mut tcp::Socket<'a>> {
        let h = self
            .slots
            .get(i)
            .and_then(|s| s.handle)
            .ok_or(Error::BadDescriptor)?;
        find(&mut self.set, h).ok_or(Error::BadDescriptor)
    }

    /// A user's slot and its smoltcp socket of type `T`, together.
    fn user_socket<T: AnySocket<'a>>(&mut self, id: SlotId) -> Result<(&mut Slot, &mut T)> {
        let s = owned(self.slots, id)?;
        let h = s.handle.ok_or(Error::BadDescriptor)?;
        let sock = find(&mut self.set, h).ok_or(Error::BadDescriptor)?;
        Ok((s, sock))
    }

    /// Slot and its TCP socket together, for a user id.
    pub fn tcp(&mut self, id: SlotId) -> Result<(&mut Slot, &mut tcp::Socket<'a>)> {
        self.user_socket(id)
    }

    /// Slot, TCP socket and the interface context (for `connect`).
    pub fn tcp_cx(
        &mut self,
        id: SlotId,
    ) -> Result<(&mut Slot, &mut tcp::Socket<'a>, &mut Context)> {
        let s = owned(self.slots, id)?;
        let h = s.handle.ok_or(Error::BadDescriptor)?;
        let sock = find(&mut self.set, h).ok_or(Error::BadDescriptor)?;
        Ok((s, sock, self.iface.context()))
    }

    pub fn udp(&mut self, id: SlotId) -> Result<(&mut Slot, &mut udp::Socket<'a>)> {
        self.user_socket(id)
    }

    pub fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    pub fn stats(&self) -> crate::stack::Stats {
        let mut st = crate::stack::Stats {
            slots: self.slots.len(),
            ..Default::default()
        };
        for s in self.slots.iter() {
            match (s.kind, s.use_) {
                (Kind::Unused, _) => st.unused += 1,
                (_, Use::Free | Use::Parked) => st.free += 1,
                (_, Use::User) => st.user += 1,
                (_, Use::Member(_)) => st.backlog += 1,
                (_, Use::Orphan) => st.closing += 1,
            }
        }
        st
    }

    // ---- allocation ----------------------------------------------------

    /// Hand out a slot of `kind` to `use_`: a free one, else a never-used one
    /// (its socket is made now), else (TCP) the oldest orphan in TIME-WAIT or
    /// FIN-WAIT-2 is reclaimed, as lwIP does, else (TCP, not for a listener's
    /// own re-arming) an idle armed slot of a listener's backlog is taken back:
    /// a backlog uses spare slots, it never starves the program's own sockets.
    /// Never panics: `NoBufferSpace`.
    pub fn alloc(&mut self, kind: Kind, use_: Use) -> Result<usize> {
        let i = match self.find_free(kind) {
            Some(i) => i,
            None => match self.create(kind)? {
                Some(i) => i,
                None => {
                    let i = match self.reclaim(kind) {
                        Some(i) => i,
                        None if matches!(use_, Use::Member(_)) => return Err(Error::NoBufferSpace),
                        None => self.take_armed(kind).ok_or(Error::NoBufferSpace)?,
                    };
                    // Send the aborted connection's RST now, so nothing of it
                    // is left in the socket for its next owner.
                    self.flush_egress(self.now);
                    i
                }
            },
        };
        if let Some(s) = self.slots.get_mut(i) {
            s.reuse(use_);
        }
        // A reused smoltcp socket keeps its options: give each owner defaults.
        if kind == Kind::Tcp {
            if let Ok(t) = self.tcp_at(i) {
                t.set_timeout(None);
                t.set_keep_alive(None);
                t.set_nagle_enabled(true);
                t.set_ack_delay(ACK_DELAY);
            }
        }
        Ok(i)
    }

    fn find_free(&self, kind: Kind) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.kind == kind && s.use_ == Use::Free && s.handle.is_some())
    }

    fn create(&mut self, kind: Kind) -> Result<Option<usize>> {
        let Some(i) = self.slots.iter().position(|s| s.kind == Kind::Unused) else {
            return Ok(None);
        };
        // A parked socket or the DNS socket may hold the last place in the set.
        if self.set.iter().count() >= self.slots.len() {
            return Ok(None);
        }
        let Some(SlotBufs {
            rx,
            tx,
            rx_meta,
            tx_meta,
        }) = self.pool.take()
        else {
            return Ok(None);
        };
        let handle = match kind {
            Kind::Tcp => self.set.add(tcp::Socket::new(
                tcp::SocketBuffer::new(rx),
                tcp::SocketBuffer::new(tx),
            )),
            Kind::Udp => self.set.add(udp::Socket::new(
                udp::PacketBuffer::new(rx_meta, rx),
                udp::PacketBuffer::new(tx_meta, tx),
            )),
            Kind::Unused => return Err(Error::InvalidInput),
        };
        let s = self.slots.get_mut(i).ok_or(Error::NoBufferSpace)?;
        s.kind = kind;
        s.handle = Some(handle);
        s.use_ = Use::Free;
        s.last = State::Closed;
        Ok(Some(i))
    }

    fn reclaim(&mut self, kind: Kind) -> Option<usize> {
        if kind != Kind::Tcp {
            return None;
        }
        let mut best: Option<(u8, u32, usize)> = None;
        for i in 0..self.slots.len() {
            let Some(&s) = self.slots.get(i) else {
                continue;
            };
            if s.use_ != Use::Orphan {
                continue;
            }
            let rank = match self.tcp_at(i).map(|t| t.state()) {
                Ok(State::TimeWait) => 0,
                Ok(State::FinWait2) => 1,
                _ => continue,
            };
            if best.is_none_or(|(r, q, _)| (rank, s.seq) < (r, q)) {
                best = Some((rank, s.seq, i));
            }
        }
        let (_, _, i) = best?;
        log::debug!("reclaiming orphan slot {i} for a new socket");
        self.abort(i);
        Some(i)
    }

    /// Take back a listener's armed slot that is still in LISTEN (never a head).
    fn take_armed(&mut self, kind: Kind) -> Option<usize> {
        if kind != Kind::Tcp {
            return None;
        }
        let i = (0..self.slots.len()).find(|&i| {
            self.slots
                .get(i)
                .is_some_and(|s| matches!(s.use_, Use::Member(_)))
                && self.tcp_state(i) == Some(State::Listen)
        })?;
        self.abort(i);
        self.short = true;
        Some(i)
    }

    /// Abort slot `i`'s TCP connection (an RST goes out on the next egress).
    pub fn abort(&mut self, i: usize) {
        if let Ok(t) = self.tcp_at(i) {
            t.abort();
        }
        self.edit(i, |s| s.last = State::Closed);
    }

    /// Put slot `i`'s TCP socket in LISTEN on `ep`; false if smoltcp refuses.
    pub fn arm(&mut self, i: usize, ep: IpListenEndpoint) -> bool {
        let ok = self.tcp_at(i).is_ok_and(|t| t.listen(ep).is_ok());
        self.edit(i, |s| {
            s.last = if ok { State::Listen } else { State::Closed }
        });
        ok
    }

    /// Change slot `i` (no-op for an index out of range).
    pub fn edit(&mut self, i: usize, f: impl FnOnce(&mut Slot)) {
        if let Some(s) = self.slots.get_mut(i) {
            f(s);
        }
    }

    /// Return a slot to the pool (its socket already closed or aborted).
    pub fn release(&mut self, i: usize) {
        if let Some(s) = self.slots.get_mut(i) {
            s.reuse(Use::Free);
        }
        self.short = true;
    }

    /// Keep an orphan until its close handshake ends.
    pub fn orphan(&mut self, i: usize) {
        let seq = self.next_seq();
        if let Ok(t) = self.tcp_at(i) {
            t.set_timeout(Some(ORPHAN_TIMEOUT));
        }
        if let Some(s) = self.slots.get_mut(i) {
            let keep = (s.addr, s.port, s.flags & flag::REUSE, s.last);
            s.reuse(Use::Orphan);
            (s.addr, s.port, s.flags, s.last) = keep;
            s.seq = seq;
        }
    }

    // ---- ports ----------------------------------------------------------

    fn port_in_use(&self, kind: Kind, port: u16) -> bool {
        self.slots
            .iter()
            .any(|s| s.kind == kind && s.use_ != Use::Free && s.port == port)
    }

    /// An unused ephemeral port.
    pub fn ephemeral_port(&mut self, kind: Kind) -> Result<u16> {
        let span = EPHEMERAL.1 - EPHEMERAL.0 + 1;
        for _ in 0..span {
            let p = self.next_port;
            self.next_port = if p >= EPHEMERAL.1 { EPHEMERAL.0 } else { p + 1 };
            if !self.port_in_use(kind, p) {
                return Ok(p);
            }
        }
        Err(Error::AddrInUse)
    }

    /// Linux's rule: two sockets may share an address and port only if both
    /// set `SO_REUSEADDR` and neither listens (for UDP: both set it).
    pub fn bind_conflict(&self, me: usize, ep: IpListenEndpoint) -> bool {
        let Some(mine) = self.slots.get(me) else {
            return true;
        };
        self.slots.iter().enumerate().any(|(j, s)| {
            j != me
                && s.kind == mine.kind
                && s.use_ != Use::Free
                && s.port == ep.port
                && (s.addr.is_none() || ep.addr.is_none() || s.addr == ep.addr)
                && !(mine.has(flag::REUSE)
                    && s.has(flag::REUSE)
                    && (mine.kind == Kind::Udp
                        || !(s.is_listener() || matches!(s.use_, Use::Member(_)))))
        })
    }

    // ---- listeners -----------------------------------------------------

    pub fn is_member(&self, head: usize, m: usize) -> bool {
        m == head
            || self
                .slots
                .get(m)
                .is_some_and(|s| s.use_ == Use::Member(head as u16))
    }

    pub fn member_count(&self, head: usize) -> usize {
        (0..self.slots.len())
            .filter(|m| self.is_member(head, *m))
            .count()
    }

    /// A member of `head`'s listener other than the head, whose state passes `pick`.
    pub fn other_member(&self, head: usize, pick: impl Fn(Option<State>) -> bool) -> Option<usize> {
        (0..self.slots.len())
            .find(|m| *m != head && self.is_member(head, *m) && pick(self.tcp_state(*m)))
    }

    /// Slot `i`'s TCP socket, read-only.
    fn tcp_ref(&self, i: usize) -> Option<&tcp::Socket<'a>> {
        let h = self.slots.get(i)?.handle?;
        self.set
            .iter()
            .find(|(x, _)| *x == h)
            .and_then(|(_, s)| tcp::Socket::downcast(s))
    }

    /// The TCP state of slot `i`, if it has a TCP socket.
    pub fn tcp_state(&self, i: usize) -> Option<State> {
        self.tcp_ref(i).map(|t| t.state())
    }

    /// Exchange the smoltcp sockets (and their tracking) behind two slots.
    pub fn swap_sockets(&mut self, a: usize, b: usize) {
        let (Some(&x), Some(&y)) = (self.slots.get(a), self.slots.get(b)) else {
            return;
        };
        self.edit(a, |s| (s.handle, s.last, s.seq) = (y.handle, y.last, y.seq));
        self.edit(b, |s| (s.handle, s.last, s.seq) = (x.handle, x.last, x.seq));
    }

    pub fn listen_endpoint(&self, head: usize) -> IpListenEndpoint {
        let s = self.slots.get(head).copied().unwrap_or(Slot::UNUSED);
        IpListenEndpoint {
            addr: s.addr,
            port: s.port,
        }
    }

    /// Arm free slots until the listener holds `backlog` sockets.
    pub fn rearm(&mut self, head: usize) {
        let Some(h) = self.slots.get(head).copied() else {
            return;
        };
        let ep = self.listen_endpoint(head);
        if self.tcp_state(head) == Some(State::Closed) {
            self.arm(head, ep);
        }
        let have = self.member_count(head);
        for _ in have..h.backlog as usize {
            let Ok(i) = self.alloc(Kind::Tcp, Use::Member(head as u16)) else {
                self.short = true;
                return;
            };
            if !self.arm(i, ep) {
                self.release(i);
                return;
            }
            self.edit(i, |s| {
                (s.addr, s.port) = (h.addr, h.port);
                s.flags = h.flags & flag::REUSE;
            });
        }
    }

    fn rearm_all(&mut self) {
        self.short = false;
        for head in 0..self.slots.len() {
            if self.slots.get(head).is_some_and(|s| s.is_listener()) {
                self.rearm(head);
            }
        }
    }

    // ---- polling -------------------------------------------------------

    /// Move packets and run timers at `now`; true if anything happened.
    pub fn poll(&mut self, now: Instant) -> bool {
        self.now = now;
        self.iface.poll_maintenance(now);
        let mut any = false;
        // Listeners need a look after every packet (arrival order); the rest
        // only after each batch.
        let listening = self.slots.iter().any(|s| s.is_listener());
        for _ in 0..MAX_ROUNDS {
            let mut progress = false;
            // Bounded, so a flood of packets cannot keep `poll` from returning.
            let mut budget = MAX_INGRESS;
            while budget > 0 && self.device.ingress(&mut self.iface, &mut self.set, now) {
                budget -= 1;
                progress = true;
                if listening {
                    self.observe(false, true);
                }
            }
            self.observe(false, false);
            progress |= self.flush_egress(now);
            self.observe(true, false);
            if !progress {
                break;
            }
            any = true;
        }
        if self.short {
            self.rearm_all();
        }
        any
    }

    /// Transmit until the sockets have nothing more to send; true if any was sent.
    fn flush_egress(&mut self, now: Instant) -> bool {
        let mut sent = false;
        while self.device.egress(&mut self.iface, &mut self.set, now) {
            sent = true;
        }
        sent
    }

    /// When the next `poll` is due.
    pub fn poll_at(&mut self, now: Instant) -> Option<Instant> {
        self.iface.poll_at(now, &self.set)
    }

    /// Look at every TCP slot's state change since the last look: record
    /// arrivals at listeners, resets, refusals, finished orphans.
    fn observe(&mut self, egress: bool, listeners_only: bool) {
        for i in 0..self.slots.len() {
            let Some(&s) = self.slots.get(i) else {
                continue;
            };
            if s.kind != Kind::Tcp || matches!(s.use_, Use::Free | Use::Parked) {
                continue;
            }
            if listeners_only && !(s.is_listener() || matches!(s.use_, Use::Member(_))) {
                continue;
            }
            let Some((state, unread)) = self.tcp_ref(i).map(|t| (t.state(), t.can_recv())) else {
                continue;
            };
            // Data for a socket the user closed: reset the peer, as Linux does.
            if s.use_ == Use::Orphan && (state == State::CloseWait || unread) {
                self.abort(i);
                self.release(i);
                continue;
            }
            if state == s.last {
                continue;
            }
            let listening = s.is_listener() || matches!(s.use_, Use::Member(_));
            if listening {
                if s.last == State::Listen && state != State::Closed {
                    let seq = self.next_seq();
                    self.edit(i, |s| s.seq = seq);
                }
                if state == State::Closed {
                    // A pending connection died before accept: re-arm at once.
                    let head = match s.use_ {
                        Use::Member(h) => h as usize,
                        _ => i,
                    };
                    self.arm(i, self.listen_endpoint(head));
                    continue;
                }
            } else if s.use_ == Use::User && s.last == State::SynSent && state != State::Closed {
                // Connected: the connect give-up timer no longer applies.
                if let Ok(t) = self.tcp_at(i) {
                    t.set_timeout(None);
                }
            } else if s.use_ == Use::User && state == State::Closed {
                match s.last {
                    // An RST answers the SYN (ingress): refused. smoltcp's connect
                    // timeout fires in egress: timed out.
                    State::SynSent => {
                        let e = if egress {
                            Error::TimedOut
                        } else {
                            Error::ConnectionRefused
                        };
                        self.edit(i, |s| {
                            s.pending = Some(e);
                            s.set(flag::CONNECTED, false);
                        });
                    }
                    State::TimeWait | State::LastAck | State::Closing | State::Listen => {}
                    _ => self.edit(i, |s| s.set(flag::RESET, true)),
                }
            } else if s.use_ == Use::Orphan && state == State::Closed {
                self.release(i);
                continue;
            }
            self.edit(i, |s| s.last = state);
        }
    }
}
