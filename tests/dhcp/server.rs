//! A scripted DHCP server (and ARP responder) on the far end of an
//! Ethernet pipe, built from smoltcp's wire types: it answers DISCOVER with
//! an OFFER and REQUEST with an ACK (or a NAK, or nothing, as the test
//! says), and records every message with the simulated time it arrived.
//! Also a module of interop's `embassy_net` test (over a driver channel).
#![allow(dead_code)]

use smolsock::smoltcp;
use smoltcp::phy::{self, ChecksumCapabilities, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, DhcpMessageType, DhcpOption, DhcpPacket, DhcpRepr,
    EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr, IpProtocol, Ipv4Address,
    Ipv4Packet, Ipv4Repr, UdpPacket, UdpRepr,
};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

pub const SERVER_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 1]);
pub const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 2];
pub const SERVER_IP: Ipv4Address = Ipv4Address::new(192, 168, 69, 1);
pub const LEASED_IP: Ipv4Address = Ipv4Address::new(192, 168, 69, 50);

/// Frames in flight each way, and the link state the device reports.
#[derive(Default)]
pub struct Queues {
    pub to_server: VecDeque<Vec<u8>>,
    pub to_client: VecDeque<Vec<u8>>,
}

pub type Wire = Rc<RefCell<Queues>>;

/// The stack's end of the pipe.
pub struct PipeDevice(pub Wire);

pub struct Rx(Vec<u8>);
pub struct Tx(Wire);

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0; len];
        let r = f(&mut buf);
        self.0.borrow_mut().to_server.push_back(buf);
        r
    }
}

impl Device for PipeDevice {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx;
    fn receive(&mut self, _: Instant) -> Option<(Rx, Tx)> {
        let f = self.0.borrow_mut().to_client.pop_front()?;
        Some((Rx(f), Tx(self.0.clone())))
    }
    fn transmit(&mut self, _: Instant) -> Option<Tx> {
        Some(Tx(self.0.clone()))
    }
    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ethernet;
        c.max_transmission_unit = 1514;
        c
    }
}

/// How the server answers a REQUEST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Ack,
    Nak,
    Silent,
}

/// One message the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub kind: DhcpMessageType,
    /// The IP destination (broadcast for DISCOVER and a rebinding REQUEST).
    pub dst: Ipv4Address,
    /// `ciaddr`: the client's address while renewing or rebinding.
    pub client_ip: Ipv4Address,
    pub host_name: Option<Vec<u8>>,
}

pub struct Server {
    pub wire: Wire,
    /// Lease, T1, T2 in seconds.
    pub lease: (u32, Option<u32>, Option<u32>),
    /// Answer DISCOVER at all.
    pub offer: bool,
    pub answer: Answer,
    pub seen: Vec<Seen>,
    /// UDP datagrams to other ports: (destination, port).
    pub other_udp: Vec<(Ipv4Address, u16)>,
}

impl Server {
    pub fn new(wire: Wire, lease: u32, t1: Option<u32>, t2: Option<u32>) -> Self {
        Server {
            wire,
            lease: (lease, t1, t2),
            offer: true,
            answer: Answer::Ack,
            seen: Vec::new(),
            other_udp: Vec::new(),
        }
    }

    /// Handle every frame the stack sent; true if any reply was queued.
    pub fn serve(&mut self, now: Instant) -> bool {
        let mut replied = false;
        loop {
            let Some(frame) = self.wire.borrow_mut().to_server.pop_front() else {
                return replied;
            };
            if let Some(reply) = self.handle(&frame, now) {
                self.wire.borrow_mut().to_client.push_back(reply);
                replied = true;
            }
        }
    }

    fn handle(&mut self, frame: &[u8], now: Instant) -> Option<Vec<u8>> {
        let eth = EthernetFrame::new_checked(frame).ok()?;
        match eth.ethertype() {
            EthernetProtocol::Arp => arp_reply(eth.payload()),
            EthernetProtocol::Ipv4 => {
                let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
                if ip.next_header() != IpProtocol::Udp {
                    return None;
                }
                let udp = UdpPacket::new_checked(ip.payload()).ok()?;
                if udp.dst_port() != 67 {
                    self.other_udp.push((ip.dst_addr(), udp.dst_port()));
                    return None;
                }
                let pkt = DhcpPacket::new_checked(udp.payload()).ok()?;
                let req = DhcpRepr::parse(&pkt).ok()?;
                let host_name = pkt
                    .options()
                    .find(|o| o.kind == 12)
                    .map(|o| o.data.to_vec());
                self.seen.push(Seen {
                    at: now,
                    kind: req.message_type,
                    dst: ip.dst_addr(),
                    client_ip: req.client_ip,
                    host_name,
                });
                let kind = match req.message_type {
                    DhcpMessageType::Discover if self.offer => DhcpMessageType::Offer,
                    DhcpMessageType::Request => match self.answer {
                        Answer::Ack => DhcpMessageType::Ack,
                        Answer::Nak => DhcpMessageType::Nak,
                        Answer::Silent => return None,
                    },
                    _ => return None,
                };
                Some(self.dhcp_reply(&req, kind))
            }
            _ => None,
        }
    }

    fn dhcp_reply(&self, req: &DhcpRepr<'_>, kind: DhcpMessageType) -> Vec<u8> {
        let nak = kind == DhcpMessageType::Nak;
        let (lease, t1, t2) = self.lease;
        // smoltcp's DhcpRepr parses T1 and T2 but does not emit them.
        let (t1, t2) = (t1.map(u32::to_be_bytes), t2.map(u32::to_be_bytes));
        let mut times = Vec::new();
        if let (false, Some(t)) = (nak, &t1) {
            times.push(DhcpOption { kind: 58, data: t });
        }
        if let (false, Some(t)) = (nak, &t2) {
            times.push(DhcpOption { kind: 59, data: t });
        }
        let repr = DhcpRepr {
            message_type: kind,
            transaction_id: req.transaction_id,
            secs: 0,
            client_hardware_address: req.client_hardware_address,
            client_ip: Ipv4Address::UNSPECIFIED,
            your_ip: if nak {
                Ipv4Address::UNSPECIFIED
            } else {
                LEASED_IP
            },
            server_ip: SERVER_IP,
            router: (!nak).then_some(SERVER_IP),
            subnet_mask: (!nak).then_some(Ipv4Address::new(255, 255, 255, 0)),
            relay_agent_ip: Ipv4Address::UNSPECIFIED,
            broadcast: false,
            requested_ip: None,
            client_identifier: None,
            server_identifier: Some(SERVER_IP),
            parameter_request_list: None,
            dns_servers: (!nak).then(|| core::iter::once(SERVER_IP).collect()),
            max_size: None,
            lease_duration: (!nak).then_some(lease),
            renew_duration: None,
            rebind_duration: None,
            additional_options: &times,
        };
        udp_frame(
            EthernetAddress(CLIENT_MAC),
            SERVER_IP,
            Ipv4Address::BROADCAST,
            (67, 68),
            repr.buffer_len(),
            |buf| {
                repr.emit(&mut DhcpPacket::new_unchecked(buf))
                    .expect("DHCP reply fits")
            },
        )
    }
}

/// An ARP reply for the server's address.
fn arp_reply(payload: &[u8]) -> Option<Vec<u8>> {
    let ArpRepr::EthernetIpv4 {
        operation,
        source_hardware_addr,
        source_protocol_addr,
        target_protocol_addr,
        ..
    } = ArpRepr::parse(&ArpPacket::new_checked(payload).ok()?).ok()?
    else {
        return None;
    };
    if operation != ArpOperation::Request || target_protocol_addr != SERVER_IP {
        return None;
    }
    let repr = ArpRepr::EthernetIpv4 {
        operation: ArpOperation::Reply,
        source_hardware_addr: SERVER_MAC,
        source_protocol_addr: SERVER_IP,
        target_hardware_addr: source_hardware_addr,
        target_protocol_addr: source_protocol_addr,
    };
    let mut buf = vec![0; 14 + repr.buffer_len()];
    let mut eth = EthernetFrame::new_unchecked(&mut buf[..]);
    EthernetRepr {
        src_addr: SERVER_MAC,
        dst_addr: source_hardware_addr,
        ethertype: EthernetProtocol::Arp,
    }
    .emit(&mut eth);
    repr.emit(&mut ArpPacket::new_unchecked(eth.payload_mut()));
    Some(buf)
}

/// An Ethernet/IPv4/UDP frame from the server with a payload of `len` bytes.
fn udp_frame(
    dst_mac: EthernetAddress,
    src: Ipv4Address,
    dst: Ipv4Address,
    (sport, dport): (u16, u16),
    len: usize,
    payload: impl FnOnce(&mut [u8]),
) -> Vec<u8> {
    let caps = ChecksumCapabilities::default();
    let ip = Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Udp,
        payload_len: 8 + len,
        hop_limit: 64,
    };
    let mut buf = vec![0; 14 + 20 + 8 + len];
    let mut eth = EthernetFrame::new_unchecked(&mut buf[..]);
    EthernetRepr {
        src_addr: SERVER_MAC,
        dst_addr: dst_mac,
        ethertype: EthernetProtocol::Ipv4,
    }
    .emit(&mut eth);
    let mut ipp = Ipv4Packet::new_unchecked(eth.payload_mut());
    ip.emit(&mut ipp, &caps);
    let mut udpp = UdpPacket::new_unchecked(ipp.payload_mut());
    UdpRepr {
        src_port: sport,
        dst_port: dport,
    }
    .emit(&mut udpp, &src.into(), &dst.into(), len, payload, &caps);
    buf
}
