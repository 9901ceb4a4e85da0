//! A device that records every frame the stack transmits: smoltcp's
//! `Loopback` (IP medium: frames come back) or a silent Ethernet wire (a
//! TAP link where nobody answers, not even ARP).

use crate::common::hooked_loopback::{HookedLoopback, TxHook};
use smoltcp::phy::{Device, Loopback, Medium};
use smoltcp::wire::{
    EthernetFrame, EthernetProtocol, IpAddress, IpProtocol, Ipv4Packet, Ipv6Packet, TcpPacket,
};

/// The recording policy: keep every frame; deliver it back on the IP medium.
pub struct Log {
    looping: bool,
    /// Every frame transmitted, in order.
    pub sent: Vec<Vec<u8>>,
}

impl TxHook for Log {
    fn on_tx(&mut self, frame: &[u8]) -> bool {
        self.sent.push(frame.to_vec());
        self.looping
    }
}

pub type Recorder = HookedLoopback<Log>;

impl Recorder {
    fn recording(medium: Medium) -> Self {
        let mut caps = Loopback::new(medium).capabilities();
        caps.max_transmission_unit = 1514;
        let log = Log {
            looping: medium == Medium::Ip,
            sent: Vec::new(),
        };
        HookedLoopback::with_caps(caps, log)
    }

    /// IP medium; what is sent comes back (as smoltcp's `Loopback`).
    pub fn looping() -> Self {
        Self::recording(Medium::Ip)
    }

    /// Ethernet medium; what is sent goes nowhere.
    pub fn silent_ethernet() -> Self {
        Self::recording(Medium::Ethernet)
    }

    /// The IP packet of a frame (skipping the Ethernet header if any).
    fn ip<'f>(&self, frame: &'f [u8]) -> Option<&'f [u8]> {
        match self.medium() {
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
        self.hook
            .sent
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
