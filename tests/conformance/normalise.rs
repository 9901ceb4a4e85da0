//! What a step's outcome is, with what may legitimately differ between the
//! two sides taken out: port numbers are named (the fixed ports `P0..`, the
//! ephemeral ones `E0, E1, …` in the order each side first reports them),
//! so the comparison of everything else can be strict.

use crate::gen::{Target, FIXED_PORTS};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The outcome of one step, as a Python program would see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// The call returned (nothing to report).
    Done,
    /// The step's slot holds no socket (or, for `Socket`, already holds one):
    /// the step was not run.
    Skipped,
    /// `send`/`sendto` queued this many bytes.
    Sent(usize),
    /// `recv`: these bytes (`b""`: end of stream, or an empty datagram).
    Data(Vec<u8>),
    /// `recvfrom`: bytes and the sender (`None`: Python's `None`).
    From(Vec<u8>, Option<String>),
    /// `getsockname`/`getpeername`.
    Addr(String),
    /// `accept`: the peer's address.
    Accepted(String),
    /// `select`: (readable, writable).
    Ready(bool, bool),
    /// `getsockopt(SO_ERROR)`: the pending error's name, if any.
    Pending(Option<String>),
    /// The error's name (smolsock's `Error` variant, or the errno's).
    Err(String),
}

/// The error name of a Linux errno, as Python surfaces it, in smolsock's
/// vocabulary.
pub fn errno_name(errno: i32) -> String {
    let n = match errno {
        11 | 114 | 115 => "WouldBlock", // EAGAIN, EALREADY, EINPROGRESS: BlockingIOError
        110 => "TimedOut",
        111 => "ConnectionRefused",
        104 => "ConnectionReset",
        107 => "NotConnected",
        106 => "AlreadyConnected",
        32 => "BrokenPipe",
        98 => "AddrInUse",
        99 => "AddrNotAvailable",
        22 => "InvalidInput",
        97 | 95 => "Unsupported", // EAFNOSUPPORT, EOPNOTSUPP
        9 => "BadDescriptor",
        105 => "NoBufferSpace",
        90 => "MessageTooLong",      // EMSGSIZE
        89 => "DestinationRequired", // EDESTADDRREQ
        103 => "ConnectionAborted",
        _ => return format!("Errno({errno})"),
    };
    n.to_string()
}

/// Names a side's addresses: the host as it is, the port as `P<k>` (fixed
/// port k), `0`, or `E<n>` (the n-th ephemeral port this side reported).
pub struct Names {
    fixed: [u16; FIXED_PORTS as usize],
    seen: Vec<u16>,
}

impl Names {
    pub fn new(fixed: [u16; FIXED_PORTS as usize]) -> Names {
        Names {
            fixed,
            seen: Vec::new(),
        }
    }

    pub fn port(&self, k: u8) -> u16 {
        self.fixed[k as usize]
    }

    pub fn name(&mut self, a: SocketAddr) -> String {
        let port = a.port();
        let p = if port == 0 {
            "0".to_string()
        } else if let Some(k) = self.fixed.iter().position(|f| *f == port) {
            format!("P{k}")
        } else {
            let n = match self.seen.iter().position(|s| *s == port) {
                Some(n) => n,
                None => {
                    self.seen.push(port);
                    self.seen.len() - 1
                }
            };
            format!("E{n}")
        };
        match a.ip() {
            IpAddr::V4(ip) => format!("{ip}:{p}"),
            IpAddr::V6(ip) => format!("[{ip}]:{p}"),
        }
    }
}

/// The loopback or unspecified address of a family.
pub fn host(v6: bool, any: bool) -> IpAddr {
    match (v6, any) {
        (false, false) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        (false, true) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        (true, false) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        (true, true) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

/// A target as an address of the family `v6`; `local(j)` is the local port
/// of the socket in slot j (for `Own`, `own`), if it has one.
pub fn resolve(
    t: Target,
    v6: bool,
    own: u8,
    names: &Names,
    local: impl Fn(u8) -> Option<u16>,
) -> SocketAddr {
    let (any, port) = match t {
        Target::Fixed(k) => (false, names.port(k)),
        Target::AnyFixed(k) => (true, names.port(k)),
        Target::Zero => (false, 0),
        Target::AnyZero => (true, 0),
        Target::Own => (false, local(own).unwrap_or(0)),
        Target::Of(j) => (false, local(j).unwrap_or(0)),
    };
    SocketAddr::new(host(v6, any), port)
}
