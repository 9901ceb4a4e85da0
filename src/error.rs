//! Errors: one small enum for socket operations, one for name resolution,
//! one for a stack's configuration.

use core::fmt;

/// The error of a socket operation.
///
/// Each kind maps to the Python exception (and Linux errno) a program written
/// against Python's `socket` module would see:
///
/// | smolsock                        | Python exception (Linux errno)                 |
/// |---------------------------------|------------------------------------------------|
/// | [`Error::WouldBlock`]           | `BlockingIOError` (`EAGAIN`, `EINPROGRESS`)     |
/// | [`Error::TimedOut`]             | `TimeoutError` / `socket.timeout`              |
/// | [`Error::ConnectionRefused`]    | `ConnectionRefusedError` (`ECONNREFUSED`)      |
/// | [`Error::ConnectionReset`]      | `ConnectionResetError` (`ECONNRESET`)          |
/// | [`Error::NotConnected`]         | `OSError` (`ENOTCONN`)                          |
/// | [`Error::AlreadyConnected`]     | `OSError` (`EISCONN`)                           |
/// | [`Error::BrokenPipe`]           | `BrokenPipeError` (`EPIPE`)                    |
/// | [`Error::AddrInUse`]            | `OSError` (`EADDRINUSE`)                        |
/// | [`Error::AddrNotAvailable`]     | `OSError` (`EADDRNOTAVAIL`)                     |
/// | [`Error::NetworkUnreachable`]   | `OSError` (`ENETUNREACH`)                       |
/// | [`Error::PermissionDenied`]     | `PermissionError` (`EACCES`)                    |
/// | [`Error::InvalidInput`]         | `OSError` (`EINVAL`) / `ValueError`            |
/// | [`Error::Unsupported`]          | `OSError` (`EAFNOSUPPORT`, `EOPNOTSUPP`)        |
/// | [`Error::NoBufferSpace`]        | `OSError` (`ENOBUFS` / `EMFILE`)                |
/// | [`Error::BadDescriptor`]        | `OSError` (`EBADF`)                             |
/// | [`Error::Busy`]                 | — (a call from inside a `recv_with`/`send_with`/`with_iface` closure) |
/// | [`Error::Stalled`]              | — (only a simulated clock with nothing to wait for) |
/// | [`ResolveError`]                | `socket.gaierror`                              |
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The socket is non-blocking and the operation cannot proceed at once.
    WouldBlock,
    /// The socket's timeout elapsed before the operation completed.
    TimedOut,
    /// The peer answered the connection attempt with a reset (closed port,
    /// or a listener whose backlog is full).
    ConnectionRefused,
    /// The peer reset the connection. Reported once, as Linux does; then
    /// `recv` reads end of stream (`Ok(0)`) and `send` is [`Error::BrokenPipe`]
    /// (a reset after the peer's FIN is a broken pipe at once).
    ConnectionReset,
    /// The stream socket is not connected.
    NotConnected,
    /// `connect` on a socket that is already connected.
    AlreadyConnected,
    /// The write half is shut down, locally or by the connection's end.
    BrokenPipe,
    /// The local address is already bound by another socket.
    AddrInUse,
    /// The address is not one of this interface's addresses, or no route.
    AddrNotAvailable,
    /// No way to this destination, decided at once, nothing sent: a TCP
    /// connect to a multicast or broadcast address (TCP is one-to-one), or a
    /// loopback address (127.0.0.0/8) on a stack with no loopback address
    /// (a loopback packet must never leave the host, RFC 1122 §3.2.1.3).
    /// Linux answers the same, `ENETUNREACH`.
    NetworkUnreachable,
    /// A datagram to a broadcast address: Linux refuses it (`EACCES`)
    /// unless `SO_BROADCAST` is set, which smolsock does not offer.
    PermissionDenied,
    /// An argument is wrong for this socket or this state.
    InvalidInput,
    /// Not supported on a TCP/IP stack (e.g. `Domain::UNIX`) or by this build.
    Unsupported,
    /// No socket slot can be had for this kind of socket: the pool in
    /// `StackResources` is exhausted, or its free slots are of the other
    /// kind. A slot's kind (TCP or UDP) is fixed by its first use, because
    /// smoltcp's sockets never give their buffers back; so after a
    /// `listen(n)` made `n` slots TCP, they stay TCP when the listener is
    /// closed. [`Stats::free_tcp`](crate::Stats::free_tcp) and
    /// [`Stats::free_udp`](crate::Stats::free_udp) say how many of each kind
    /// can still be made; size `StackResources` for both.
    NoBufferSpace,
    /// The socket was closed; its handle is no longer valid.
    BadDescriptor,
    /// The stack is busy: this call was made from inside a closure that
    /// holds it ([`Socket::recv_with`](crate::Socket::recv_with),
    /// [`Socket::send_with`](crate::Socket::send_with),
    /// [`Stack::with_iface`](crate::Stack::with_iface)). Make the call after
    /// the closure returns. (Closing or dropping a socket there is allowed:
    /// it is deferred.)
    Busy,
    /// A blocking call with no timeout would wait forever: the clock cannot
    /// advance and nothing is scheduled. Only [`SimClock`](crate::SimClock) reports it.
    Stalled,
}

impl Error {
    /// The Python exception name this error corresponds to.
    pub fn python_name(&self) -> &'static str {
        match self {
            Error::WouldBlock => "BlockingIOError",
            Error::TimedOut => "TimeoutError",
            Error::ConnectionRefused => "ConnectionRefusedError",
            Error::ConnectionReset => "ConnectionResetError",
            Error::BrokenPipe => "BrokenPipeError",
            Error::PermissionDenied => "PermissionError",
            _ => "OSError",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::WouldBlock => "operation would block",
            Error::TimedOut => "timed out",
            Error::ConnectionRefused => "connection refused",
            Error::ConnectionReset => "connection reset by peer",
            Error::NotConnected => "socket is not connected",
            Error::AlreadyConnected => "socket is already connected",
            Error::BrokenPipe => "broken pipe",
            Error::AddrInUse => "address already in use",
            Error::AddrNotAvailable => "cannot assign requested address",
            Error::NetworkUnreachable => {
                "network is unreachable (multicast or broadcast for TCP, or loopback without a loopback address)"
            }
            Error::PermissionDenied => {
                "permission denied (a datagram to a broadcast address needs SO_BROADCAST)"
            }
            Error::InvalidInput => "invalid argument",
            Error::Unsupported => "address family or operation not supported",
            Error::NoBufferSpace => {
                "no buffer space available: no socket slot free for this kind (a slot stays TCP or UDP after its first use; see Stats::free_tcp, free_udp)"
            }
            Error::BadDescriptor => "bad file descriptor (socket is closed)",
            Error::Busy => {
                "stack busy: called from inside a closure that holds the stack (recv_with, send_with, with_iface)"
            }
            Error::Stalled => {
                "blocking call would wait forever (simulated clock has nothing scheduled)"
            }
        })
    }
}

impl core::error::Error for Error {}

/// The error of a name resolution (Python's `socket.gaierror`), kept apart
/// from socket errors on purpose.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResolveError {
    /// The name does not exist (NXDOMAIN) or has no address.
    NotFound,
    /// The DNS server failed to answer (SERVFAIL, REFUSED, …).
    ServerFailure,
    /// The DNS server's answer could not be read, or is larger than a
    /// classic UDP reply (512 bytes: the resolver does not ask for more).
    BadResponse,
    /// The DNS server's answer has the TC (truncated) bit: it does not fit a
    /// 512-byte UDP reply, and this resolver does not retry over TCP.
    Truncated,
    /// The stack has no DNS server configured.
    NoServer,
    /// The name is not a valid DNS name (or is too long).
    InvalidName,
    /// No answer before the deadline (or, without one, after every server
    /// was asked three times): Python's `socket.timeout`.
    TimedOut,
    /// Called from inside a closure that holds the stack (see [`Error::Busy`]).
    Busy,
    /// No free DNS query slot.
    NoBufferSpace,
    /// The clock cannot advance (simulated clock, nothing scheduled).
    Stalled,
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResolveError::NotFound => "name or service not known",
            ResolveError::ServerFailure => "DNS server failure (SERVFAIL or REFUSED)",
            ResolveError::BadResponse => {
                "unreadable answer from the DNS server (malformed, or larger than 512 bytes)"
            }
            ResolveError::Truncated => {
                "answer truncated (TC bit): it does not fit a 512-byte UDP reply, and DNS over TCP is not supported"
            }
            ResolveError::NoServer => "no DNS server configured",
            ResolveError::InvalidName => "invalid host name",
            ResolveError::TimedOut => "name resolution timed out",
            ResolveError::Busy => {
                "stack busy: resolve called from inside a closure that holds the stack"
            }
            ResolveError::NoBufferSpace => "no free DNS query slot",
            ResolveError::Stalled => "name resolution would wait forever (simulated clock)",
        })
    }
}

impl core::error::Error for ResolveError {}

/// Why [`Stack::new`](crate::Stack::new) refused a [`Config`](crate::Config).
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigError {
    /// An interface address is multicast or broadcast; an interface needs
    /// unicast addresses (smoltcp would panic on it).
    AddressNotUnicast(smoltcp::wire::IpAddress),
    /// The MAC address is multicast or broadcast.
    HardwareAddressNotUnicast,
    /// More interface addresses than smoltcp's interface holds.
    TooManyAddresses,
    /// More default routes than smoltcp's route table holds, or a gateway
    /// of a family this build lacks.
    TooManyGateways,
    /// A DNS server is a loopback address (e.g. systemd-resolved's
    /// 127.0.0.53) but no interface address holds it: its queries would go
    /// out on the link, which a loopback address never may.
    DnsServerNotReachable(smoltcp::wire::IpAddress),
    /// No entry of the socket set for the resolver (feature `dns`): it
    /// takes one of `StackResources`' `SOCKETS` (compile-time checked, so
    /// a program never sees this).
    NoRoomForResolver,
    /// DHCP was asked for on a device without an Ethernet (MAC) address;
    /// DHCP runs on Ethernet only.
    #[cfg(feature = "dhcp")]
    DhcpNeedsEthernet,
    /// The DHCP host name is empty, longer than
    /// `MAX_HOST_NAME` (63) bytes, or has a byte other
    /// than a letter, a digit or `-`.
    #[cfg(feature = "dhcp")]
    BadHostName,
    /// The stack has no entry of its socket set left for the DHCP client
    /// (`SOCKETS` is 0).
    #[cfg(feature = "dhcp")]
    NoSocketForDhcp,
    /// The device's medium is neither Ethernet nor IP (an IEEE 802.15.4
    /// embassy driver): this build of smoltcp has no such medium.
    #[cfg(feature = "embassy-net-driver")]
    UnsupportedMedium,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::AddressNotUnicast(a) => {
                write!(f, "interface address {a} is not a unicast address")
            }
            ConfigError::HardwareAddressNotUnicast => {
                f.write_str("hardware (MAC) address is not a unicast address")
            }
            ConfigError::TooManyAddresses => {
                f.write_str("more interface addresses than the interface can hold")
            }
            ConfigError::TooManyGateways => {
                f.write_str("more default routes than the route table can hold")
            }
            ConfigError::DnsServerNotReachable(a) => write!(
                f,
                "DNS server {a} is a loopback address, and this interface has none (use a server on the link, e.g. the gateway)"
            ),
            ConfigError::NoRoomForResolver => {
                f.write_str("no socket entry left for the DNS resolver")
            }
            #[cfg(feature = "dhcp")]
            ConfigError::DhcpNeedsEthernet => {
                f.write_str("DHCP needs an Ethernet device with a MAC address")
            }
            #[cfg(feature = "dhcp")]
            ConfigError::BadHostName => {
                f.write_str("DHCP host name must be 1 to 63 letters, digits or '-'")
            }
            #[cfg(feature = "embassy-net-driver")]
            ConfigError::UnsupportedMedium => {
                f.write_str("the device's medium is neither Ethernet nor IP")
            }
            #[cfg(feature = "dhcp")]
            ConfigError::NoSocketForDhcp => {
                f.write_str("no socket entry left for the DHCP client (SOCKETS is 0)")
            }
        }
    }
}

impl core::error::Error for ConfigError {}

/// Result of a socket operation.
pub type Result<T> = core::result::Result<T, Error>;

#[cfg(feature = "std")]
impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        use std::io::ErrorKind as K;
        let kind = match e {
            Error::WouldBlock => K::WouldBlock,
            Error::TimedOut => K::TimedOut,
            Error::ConnectionRefused => K::ConnectionRefused,
            Error::ConnectionReset => K::ConnectionReset,
            Error::NotConnected => K::NotConnected,
            Error::AlreadyConnected => K::AlreadyExists,
            Error::BrokenPipe => K::BrokenPipe,
            Error::AddrInUse => K::AddrInUse,
            Error::AddrNotAvailable => K::AddrNotAvailable,
            Error::NetworkUnreachable => K::NetworkUnreachable,
            Error::PermissionDenied => K::PermissionDenied,
            Error::InvalidInput => K::InvalidInput,
            Error::Unsupported => K::Unsupported,
            Error::NoBufferSpace => K::OutOfMemory,
            Error::BadDescriptor | Error::Stalled | Error::Busy => K::Other,
        };
        std::io::Error::new(kind, e)
    }
}

#[cfg(feature = "std")]
impl From<ResolveError> for std::io::Error {
    fn from(e: ResolveError) -> Self {
        use std::io::ErrorKind as K;
        let kind = match e {
            ResolveError::TimedOut => K::TimedOut,
            ResolveError::InvalidName => K::InvalidInput,
            ResolveError::BadResponse | ResolveError::Truncated => K::InvalidData,
            ResolveError::NotFound | ResolveError::NoServer => K::NotFound,
            ResolveError::NoBufferSpace => K::OutOfMemory,
            ResolveError::ServerFailure | ResolveError::Busy | ResolveError::Stalled => K::Other,
        };
        std::io::Error::new(kind, e)
    }
}
