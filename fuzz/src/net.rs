//! In-process devices and clocks that put fuzz bytes on a stack's wire.

use smolsock::smoltcp;
use smolsock::{Clock, Idle, SimClock};
use smoltcp::phy::{self, ChecksumCapabilities, Device, DeviceCapabilities, Medium};
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{
    Icmpv4Packet, Icmpv6Packet, IpAddress, IpProtocol, Ipv4Packet, Ipv4Repr, Ipv6Packet, TcpPacket,
    TcpSeqNumber, UdpPacket, UdpRepr,
};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// One record of a fuzz input: an opcode and its bytes.
#[derive(Debug, Clone)]
pub struct Record {
    pub op: u8,
    pub data: Vec<u8>,
}

/// Split `input` into records: `[op][len: u16 big-endian][len bytes]`
/// (the last one takes what is left).
pub fn records(mut input: &[u8]) -> VecDeque<Record> {
    let mut out = VecDeque::new();
    while let [op, rest @ ..] = input {
        let (len, rest) = match rest {
            [a, b, rest @ ..] => (usize::from(u16::from_be_bytes([*a, *b])), rest),
            _ => (rest.len(), &[][..]),
        };
        let len = len.min(rest.len());
        out.push_back(Record {
            op: *op,
            data: rest[..len].to_vec(),
        });
        input = &rest[len..];
    }
    out
}

// ---- checksums and patching --------------------------------------------

/// The IP packet inside `frame` (after the Ethernet header for `eth`).
fn ip_part(frame: &mut [u8], eth: bool) -> Option<&mut [u8]> {
    if !eth {
        return Some(frame);
    }
    let ethertype = u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]);
    if ethertype != 0x0800 && ethertype != 0x86dd {
        return None;
    }
    frame.get_mut(14..)
}

fn fix_l4(proto: IpProtocol, payload: &mut [u8], src: IpAddress, dst: IpAddress) {
    match proto {
        IpProtocol::Tcp => {
            if let Ok(mut t) = TcpPacket::new_checked(payload) {
                t.fill_checksum(&src, &dst);
            }
        }
        IpProtocol::Udp => {
            if let Ok(mut u) = UdpPacket::new_checked(payload) {
                u.fill_checksum(&src, &dst);
            }
        }
        IpProtocol::Icmp => {
            if let Ok(mut i) = Icmpv4Packet::new_checked(payload) {
                i.fill_checksum();
            }
        }
        IpProtocol::Icmpv6 => {
            if let (Ok(mut i), IpAddress::Ipv6(s), IpAddress::Ipv6(d)) =
                (Icmpv6Packet::new_checked(payload), src, dst)
            {
                i.fill_checksum(&s, &d);
            }
        }
        _ => {}
    }
}

/// Make every checksum in `frame` right (IPv4 header, TCP, UDP, ICMP), so
/// the fuzzer's other bytes get past checksum verification.
pub fn fix_checksums(frame: &mut [u8], eth: bool) {
    let Some(ip) = ip_part(frame, eth) else {
        return;
    };
    match ip.first().map(|b| b >> 4) {
        Some(4) => {
            if let Ok(mut p) = Ipv4Packet::new_checked(&mut *ip) {
                let (src, dst, proto) = (p.src_addr(), p.dst_addr(), p.next_header());
                p.fill_checksum();
                fix_l4(proto, p.payload_mut(), src.into(), dst.into());
            }
        }
        Some(6) => {
            if let Ok(mut p) = Ipv6Packet::new_checked(&mut *ip) {
                let (src, dst, proto) = (p.src_addr(), p.dst_addr(), p.next_header());
                fix_l4(proto, p.payload_mut(), src.into(), dst.into());
            }
        }
        _ => {}
    }
}

/// The last TCP segment the stack sent: what a reply must match.
#[derive(Debug, Clone, Copy)]
pub struct LastTcp {
    pub eth_src: [u8; 6],
    pub eth_dst: [u8; 6],
    pub src: IpAddress,
    pub dst: IpAddress,
    pub sport: u16,
    pub dport: u16,
    /// Sequence number just after the segment (SYN and FIN count one).
    pub next_seq: i32,
    /// Its acknowledgement number, if it had ACK set.
    pub ack: Option<i32>,
}

/// Parse a transmitted frame: the TCP segment in it, if any.
pub fn parse_tcp(frame: &[u8], eth: bool) -> Option<LastTcp> {
    let mut copy = frame.to_vec();
    let (eth_dst, eth_src) = if eth {
        (
            copy.get(0..6)?.try_into().ok()?,
            copy.get(6..12)?.try_into().ok()?,
        )
    } else {
        ([0; 6], [0; 6])
    };
    let ip = ip_part(&mut copy, eth)?;
    let (src, dst, proto, payload): (IpAddress, IpAddress, _, &[u8]) =
        match ip.first().map(|b| b >> 4) {
            Some(4) => {
                let p = Ipv4Packet::new_checked(&*ip).ok()?;
                let (s, d, n) = (p.src_addr(), p.dst_addr(), p.next_header());
                let hl = usize::from(p.header_len());
                let tl = usize::from(p.total_len());
                (s.into(), d.into(), n, ip.get(hl..tl)?)
            }
            Some(6) => {
                let p = Ipv6Packet::new_checked(&*ip).ok()?;
                let (s, d, n) = (p.src_addr(), p.dst_addr(), p.next_header());
                let len = usize::from(p.payload_len());
                (s.into(), d.into(), n, ip.get(40..40 + len)?)
            }
            _ => return None,
        };
    if proto != IpProtocol::Tcp {
        return None;
    }
    let t = TcpPacket::new_checked(payload).ok()?;
    let len = t.payload().len() as i32 + i32::from(t.syn()) + i32::from(t.fin());
    Some(LastTcp {
        eth_src,
        eth_dst,
        src,
        dst,
        sport: t.src_port(),
        dport: t.dst_port(),
        next_seq: t.seq_number().0.wrapping_add(len),
        ack: t.ack().then(|| t.ack_number().0),
    })
}

/// Turn the fuzzer's `frame` into a reply to `last`: addresses and ports
/// swapped, the ACK number acknowledging it, the sequence number (when the
/// stack acknowledged something) an offset from what it expects; then the
/// checksums fixed.
pub fn patch_reply(frame: &mut [u8], eth: bool, last: &LastTcp) {
    if eth {
        if let Some(h) = frame.get_mut(0..12) {
            h[0..6].copy_from_slice(&last.eth_src);
            h[6..12].copy_from_slice(&last.eth_dst);
        }
    }
    if let Some(ip) = ip_part(frame, eth) {
        let payload: Option<&mut [u8]> = match (ip.first().map(|b| b >> 4), last.src, last.dst) {
            (Some(4), IpAddress::Ipv4(s), IpAddress::Ipv4(d)) => {
                match Ipv4Packet::new_checked(&mut *ip) {
                    Ok(mut p) => {
                        p.set_src_addr(d);
                        p.set_dst_addr(s);
                        let hl = usize::from(p.header_len());
                        let tl = usize::from(p.total_len());
                        ip.get_mut(hl..tl)
                    }
                    Err(_) => None,
                }
            }
            (Some(6), IpAddress::Ipv6(s), IpAddress::Ipv6(d)) => {
                match Ipv6Packet::new_checked(&mut *ip) {
                    Ok(mut p) => {
                        p.set_src_addr(d);
                        p.set_dst_addr(s);
                        let len = usize::from(p.payload_len());
                        ip.get_mut(40..40 + len)
                    }
                    Err(_) => None,
                }
            }
            _ => None,
        };
        if let Some(Ok(mut t)) = payload.map(TcpPacket::new_checked) {
            t.set_src_port(last.dport);
            t.set_dst_port(last.sport);
            t.set_ack_number(TcpSeqNumber(last.next_seq));
            if let Some(a) = last.ack {
                let offset = t.seq_number().0;
                t.set_seq_number(TcpSeqNumber(a.wrapping_add(offset)));
            }
        }
    }
    fix_checksums(frame, eth);
}

// ---- a device fed by the fuzzer -------------------------------------------

/// What the fuzz device, its clock and the harness share.
pub struct Wire {
    pub medium: Medium,
    /// Frames the stack will receive.
    pub rx: VecDeque<Vec<u8>>,
    /// The stack's frames, looped back to it (the DNS harness) or not.
    pub loop_back: bool,
    /// The last TCP segment the stack sent.
    pub last_tcp: Option<LastTcp>,
    /// Frames sent.
    pub sent: usize,
    /// Answers a DNS query gets (UDP to port 53 never loops back).
    pub dns: VecDeque<Record>,
    /// Every DNS reply payload sent to the stack.
    pub dns_sent: Vec<Vec<u8>>,
}

pub type Shared = Rc<RefCell<Wire>>;

pub fn wire(medium: Medium, loop_back: bool) -> Shared {
    Rc::new(RefCell::new(Wire {
        medium,
        rx: VecDeque::new(),
        loop_back,
        last_tcp: None,
        sent: 0,
        dns: VecDeque::new(),
        dns_sent: Vec::new(),
    }))
}

pub struct FuzzDevice(pub Shared);

pub struct Rx(Vec<u8>);
pub struct Tx(Shared);

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0; len];
        let r = f(&mut buf);
        let mut w = self.0.borrow_mut();
        w.sent += 1;
        let eth = w.medium == Medium::Ethernet;
        if let Some(t) = parse_tcp(&buf, eth) {
            w.last_tcp = Some(t);
        }
        if let Some((query, sport)) = dns_query(&buf, eth) {
            if let Some(rec) = w.dns.pop_front() {
                let (payload, copies) = dns_payload(&query, &rec);
                for _ in 0..copies {
                    w.rx.push_back(udp_reply(&payload, sport));
                }
                w.dns_sent.push(payload);
            }
        } else if w.loop_back {
            w.rx.push_back(buf);
        }
        r
    }
}

impl Device for FuzzDevice {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx;

    fn receive(&mut self, _now: Instant) -> Option<(Rx, Tx)> {
        let frame = self.0.borrow_mut().rx.pop_front()?;
        Some((Rx(frame), Tx(self.0.clone())))
    }

    fn transmit(&mut self, _now: Instant) -> Option<Tx> {
        Some(Tx(self.0.clone()))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = self.0.borrow().medium;
        c.max_transmission_unit = match c.medium {
            Medium::Ethernet => 1514,
            _ => 1500,
        };
        c
    }
}

// ---- DNS answers -----------------------------------------------------------

/// An IPv4 UDP datagram to port 53: (its payload, its source port).
fn dns_query(frame: &[u8], eth: bool) -> Option<(Vec<u8>, u16)> {
    let mut copy = frame.to_vec();
    let ip = ip_part(&mut copy, eth)?;
    let p = Ipv4Packet::new_checked(&*ip).ok()?;
    if p.next_header() != IpProtocol::Udp {
        return None;
    }
    let u = UdpPacket::new_checked(p.payload()).ok()?;
    (u.dst_port() == 53).then(|| (u.payload().to_vec(), u.src_port()))
}

/// The replies one DNS query gets from one record. `op & 3`:
/// 0: the record's bytes as they are; 1: the query's ID over the first two
/// bytes; 2: a header with the query's ID, `QR`, `RD`, `RA`, rcode from
/// `data[0]`, one question, `data[1]` answers, then the query's question and
/// `data[2..]` as the answer section; 3: as 2, but the question is the
/// fuzzer's too (`data[2..]`). `op & 4`: the reply comes twice.
pub fn dns_payload(query: &[u8], rec: &Record) -> (Vec<u8>, usize) {
    let id = [
        query.first().copied().unwrap_or(0),
        query.get(1).copied().unwrap_or(0),
    ];
    let d = &rec.data;
    let payload = match rec.op & 3 {
        0 => d.clone(),
        1 => {
            let mut p = d.clone();
            for (dst, src) in p.iter_mut().zip(id) {
                *dst = src;
            }
            p
        }
        mode => {
            let rcode = d.first().copied().unwrap_or(0) & 0x0f;
            let answers = d.get(1).copied().unwrap_or(1);
            let mut p = vec![
                id[0],
                id[1],
                0x81,
                0x80 | rcode,
                0,
                1,
                0,
                answers,
                0,
                0,
                0,
                0,
            ];
            if mode == 2 {
                p.extend_from_slice(query.get(12..).unwrap_or(&[]));
            }
            p.extend_from_slice(d.get(2..).unwrap_or(&[]));
            p
        }
    };
    let copies = if rec.op & 4 != 0 { 2 } else { 1 };
    (payload, copies)
}

/// 127.0.0.1:53 → 127.0.0.1:`dport`, IP medium.
fn udp_reply(payload: &[u8], dport: u16) -> Vec<u8> {
    let lo = core::net::Ipv4Addr::new(127, 0, 0, 1);
    let udp = UdpRepr {
        src_port: 53,
        dst_port: dport,
    };
    let ip = Ipv4Repr {
        src_addr: lo,
        dst_addr: lo,
        next_header: IpProtocol::Udp,
        payload_len: 8 + payload.len(),
        hop_limit: 64,
    };
    let mut buf = vec![0u8; 20 + 8 + payload.len()];
    let caps = ChecksumCapabilities::default();
    let mut p = Ipv4Packet::new_unchecked(&mut buf[..]);
    ip.emit(&mut p, &caps);
    let mut u = UdpPacket::new_unchecked(p.payload_mut());
    udp.emit(
        &mut u,
        &lo.into(),
        &lo.into(),
        payload.len(),
        |b| b.copy_from_slice(payload),
        &caps,
    );
    buf
}

// ---- a clock that plays the fuzz records while the stack waits ----------------

/// A simulated clock that, each time a blocking call would sleep, plays the
/// next fuzz record instead (a frame arrives, or time passes); with none
/// left it jumps to the deadline like `SimClock`.
pub struct FuzzClock {
    pub sim: SimClock,
    pub wire: Shared,
    pub records: RefCell<VecDeque<Record>>,
}

impl FuzzClock {
    /// Play the next record: true if there was one.
    pub fn play(&self) -> bool {
        let Some(rec) = self.records.borrow_mut().pop_front() else {
            return false;
        };
        let mut w = self.wire.borrow_mut();
        let eth = w.medium == Medium::Ethernet;
        let mut frame = rec.data;
        match rec.op % 4 {
            0 => w.rx.push_back(frame),
            1 => {
                fix_checksums(&mut frame, eth);
                w.rx.push_back(frame);
            }
            2 => {
                if let Some(last) = w.last_tcp {
                    patch_reply(&mut frame, eth, &last);
                } else {
                    fix_checksums(&mut frame, eth);
                }
                w.rx.push_back(frame);
            }
            _ => {
                let steps = u64::from(frame.first().copied().unwrap_or(0)) + 1;
                self.sim.advance(Duration::from_millis(50 * steps));
            }
        }
        true
    }

    pub fn left(&self) -> usize {
        self.records.borrow().len()
    }
}

impl Clock for FuzzClock {
    fn now(&self) -> Instant {
        self.sim.now()
    }
    fn idle(&self, until: Option<Instant>) -> Idle {
        if self.play() {
            Idle::Waited
        } else {
            self.sim.idle(until)
        }
    }
}
