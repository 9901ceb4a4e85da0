//! A device that records every frame the stack transmits: smoltcp's
//! `Loopback` (IP medium: frames come back) or a silent Ethernet wire (a
//! TAP link where nobody answers, not even ARP).

use smoltcp::phy::{self, Device, DeviceCapabilities, Loopback, Medium};
use smoltcp::time::Instant;
use smoltcp::wire::{
    EthernetFrame, EthernetProtocol, IpAddress, IpProtocol, Ipv4Packet, Ipv6Packet, TcpPacket,
};
use std::collections::VecDeque;

pub struct Recorder {
    medium: Medium,
    looped: VecDeque<Vec<u8>>,
    /// Every frame transmitted, in order.
    pub sent: Vec<Vec<u8>>,
}

impl Recorder {
    /// IP medium; what is sent comes back (as smoltcp's `Loopback`).
    pub fn looping() -> Self {
        Recorder {
            medium: Medium::Ip,
            looped: VecDeque::new(),
            sent: Vec::new(),
        }
    }

    /// Ethernet medium; what is sent goes nowhere.
    pub fn silent_ethernet() -> Self {
        Recorder {
            medium: Medium::Ethernet,
            ..Self::looping()
        }
    }

    /// The IP packet of a frame (skipping the Ethernet header if any).
    fn ip<'f>(&self, frame: &'f [u8]) -> Option<&'f [u8]> {
        match self.medium {
            Medium::Ip => Some(frame),
            _ => {
                let f = EthernetFrame::new_checked(frame).ok()?;
                match f.ethertype() {
                    EthernetProtocol::Ipv4 | EthernetProtocol::Ipv6 => frame.get(14..),
                    _ => None,
                }
            }
        }
    }

    /// (destination, TCP segment or `None`) of every IP packet sent.
    pub fn packets(&self) -> Vec<(IpAddress, Option<TcpSeg>)> {
        self.sent
            .iter()
            .filter_map(|f| self.ip(f))
            .filter_map(|p| match p.first()? >> 4 {
                4 => {
                    let ip = Ipv4Packet::new_checked(p).ok()?;
                    let tcp = (ip.next_header() == IpProtocol::Tcp)
                        .then(|| TcpSeg::parse(ip.payload()))
                        .flatten();
                    Some((IpAddress::Ipv4(ip.dst_addr()), tcp))
                }
                6 => {
                    let ip = Ipv6Packet::new_checked(p).ok()?;
                    let tcp = (ip.next_header() == IpProtocol::Tcp)
                        .then(|| TcpSeg::parse(ip.payload()))
                        .flatten();
                    Some((IpAddress::Ipv6(ip.dst_addr()), tcp))
                }
                _ => None,
            })
            .collect()
    }

    /// The first SYN sent: (source port, initial sequence number).
    pub fn first_syn(&self) -> Option<(u16, u32)> {
        self.packets()
            .into_iter()
            .filter_map(|(_, t)| t)
            .find(|t| t.syn && !t.ack)
            .map(|t| (t.src_port, t.seq))
    }
}

/// What a test looks at in a TCP segment.
#[derive(Debug, Clone, Copy)]
pub struct TcpSeg {
    pub src_port: u16,
    pub seq: u32,
    pub syn: bool,
    pub ack: bool,
}

impl TcpSeg {
    fn parse(bytes: &[u8]) -> Option<TcpSeg> {
        let t = TcpPacket::new_checked(bytes).ok()?;
        Some(TcpSeg {
            src_port: t.src_port(),
            seq: t.seq_number().0 as u32,
            syn: t.syn(),
            ack: t.ack(),
        })
    }
}

pub struct Rx(Vec<u8>);
pub struct Tx<'a>(&'a mut Recorder);

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0; len];
        let r = f(&mut buf);
        if self.0.medium == Medium::Ip {
            self.0.looped.push_back(buf.clone());
        }
        self.0.sent.push(buf);
        r
    }
}

impl Device for Recorder {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _: Instant) -> Option<(Rx, Tx<'_>)> {
        let p = self.looped.pop_front()?;
        Some((Rx(p), Tx(self)))
    }

    fn transmit(&mut self, _: Instant) -> Option<Tx<'_>> {
        Some(Tx(self))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = Loopback::new(self.medium).capabilities();
        c.max_transmission_unit = 1514;
        c
    }
}
