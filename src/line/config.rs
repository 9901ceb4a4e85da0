//! How a [`LineServer`](super::LineServer) is set up: the seed's values by default.

use core::net::{IpAddr, SocketAddr};
use core::time::Duration;

/// Every address (the seed's `''`): `0.0.0.0`, or `::` in an IPv6-only build.
#[cfg(feature = "proto-ipv4")]
pub const DEFAULT_ADDRESS: IpAddr = IpAddr::V4(core::net::Ipv4Addr::UNSPECIFIED);
/// Every address (the seed's `''`): `0.0.0.0`, or `::` in an IPv6-only build.
#[cfg(not(feature = "proto-ipv4"))]
pub const DEFAULT_ADDRESS: IpAddr = IpAddr::V6(core::net::Ipv6Addr::UNSPECIFIED);

/// The seed's port.
pub const DEFAULT_PORT: u16 = 10001;
/// The seed's `listen(5)`.
pub const DEFAULT_BACKLOG: usize = 5;
/// The seed's `select` timeout: 5 s without a byte closes the connection.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// Default line limit (the seed read `recv(1024)` chunks); also the default
/// per-session buffer size of [`LineServer`](super::LineServer).
pub const DEFAULT_MAX_LINE: usize = 1024;

/// Most peer addresses a [`RemoteStop::Only`] list holds.
pub const MAX_STOP_PEERS: usize = 8;

/// Who may stop the server by sending `stop`.
///
/// The seed let any client stop it, and that stays the default. A `stop`
/// from a client that may not stop the server closes that client's
/// connection (reason [`CloseReason::StopRefused`](super::CloseReason::StopRefused))
/// and the server keeps serving.
///
/// ```
/// use smolsock::line::RemoteStop;
/// use core::net::{IpAddr, Ipv4Addr};
/// let admin = IpAddr::V4(Ipv4Addr::new(192, 168, 69, 1));
/// let only = RemoteStop::only(&[admin]).expect("at most MAX_STOP_PEERS");
/// assert!(only.allows(admin));
/// assert!(!only.allows(IpAddr::V4(Ipv4Addr::new(192, 168, 69, 7))));
/// assert!(!RemoteStop::Nobody.allows(admin));
/// assert!(RemoteStop::Anyone.allows(admin));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RemoteStop {
    /// Any client may stop the server (the seed's behaviour).
    #[default]
    Anyone,
    /// No client may; only [`LineServer::stop`](super::LineServer::stop) stops it.
    Nobody,
    /// Only clients from these addresses may.
    Only(heapless::Vec<IpAddr, MAX_STOP_PEERS>),
}

impl RemoteStop {
    /// Only clients from `peers` may stop the server; `None` if there are
    /// more than [`MAX_STOP_PEERS`] of them.
    pub fn only(peers: &[IpAddr]) -> Option<Self> {
        heapless::Vec::from_slice(peers).ok().map(RemoteStop::Only)
    }

    /// May a client at `peer` stop the server? An IPv4 client seen as an
    /// IPv4-mapped IPv6 address counts as its IPv4 address.
    pub fn allows(&self, peer: IpAddr) -> bool {
        let canon = |a: IpAddr| match a {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(a, IpAddr::V4),
            v4 => v4,
        };
        match self {
            RemoteStop::Anyone => true,
            RemoteStop::Nobody => false,
            RemoteStop::Only(list) => list.iter().any(|a| canon(*a) == canon(peer)),
        }
    }
}

/// Line server settings. The defaults are the seed's: port 10001 on every
/// address, backlog 5, idle timeout 5 s, one session at a time, a line
/// limit of 1024 bytes, no limit on a session's length, and any client may
/// send `stop`.
///
/// ```
/// use smolsock::line::LineConfig;
/// use core::time::Duration;
/// let c = LineConfig::default()
///     .with_port(7000)
///     .with_idle_timeout(Some(Duration::from_secs(1)))
///     .with_max_sessions(4);
/// assert_eq!((c.port, c.backlog, c.max_sessions), (7000, 5, 4));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LineConfig {
    /// The address to listen on; unspecified (`0.0.0.0`, `::`) means every
    /// address of the interface, as the seed's `''`.
    pub address: IpAddr,
    /// The port to listen on.
    pub port: u16,
    /// `listen(backlog)`: connections that may wait for their turn.
    pub backlog: usize,
    /// A connection that sends nothing for this long is closed (`None`: never).
    pub idle_timeout: Option<Duration>,
    /// The line limit in bytes (terminator excluded): longer lines come in
    /// pieces of this size. Capped by the server's buffer size.
    pub max_line: usize,
    /// Connections served at once (1: the seed's one at a time). Capped by
    /// the server's session count.
    pub max_sessions: usize,
    /// A connection is closed this long after it was accepted, whatever it
    /// sends ([`CloseReason::SessionLimit`](super::CloseReason::SessionLimit);
    /// `None`: never, the seed's behaviour). Bounds how long one client can
    /// hold a one-at-a-time server.
    pub session_limit: Option<Duration>,
    /// The minimum line rate: a connection that takes longer than this to
    /// complete a line (counted from its previous line, or from being
    /// accepted) is closed ([`CloseReason::LineTimeout`](super::CloseReason::LineTimeout);
    /// `None`: no minimum, the seed's behaviour). Each piece of an overlong
    /// line counts as a line. Unlike the idle timeout, a byte that does not
    /// complete a line does not restart it, so a client trickling one byte
    /// every few seconds is closed.
    pub line_timeout: Option<Duration>,
    /// Who may stop the server with `stop` (default: anyone, as the seed).
    pub remote_stop: RemoteStop,
}

impl Default for LineConfig {
    fn default() -> Self {
        LineConfig {
            address: DEFAULT_ADDRESS,
            port: DEFAULT_PORT,
            backlog: DEFAULT_BACKLOG,
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
            max_line: DEFAULT_MAX_LINE,
            max_sessions: 1,
            session_limit: None,
            line_timeout: None,
            remote_stop: RemoteStop::Anyone,
        }
    }
}

impl LineConfig {
    /// The seed's settings (same as `default()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Listen on `address` (e.g. `Ipv6Addr::UNSPECIFIED` for IPv6).
    pub fn with_address(mut self, address: IpAddr) -> Self {
        self.address = address;
        self
    }

    /// Listen on `port`.
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Set the listen backlog. [`LineServer::new`](super::LineServer::new)
    /// lowers it to what the stack's slot pool can grant; read the granted
    /// value back from [`LineServer::config`](super::LineServer::config).
    pub fn with_backlog(mut self, backlog: usize) -> Self {
        self.backlog = backlog;
        self
    }

    /// Set the idle timeout (`None`: connections may stay silent forever).
    pub fn with_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Set the line limit.
    pub fn with_max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line;
        self
    }

    /// Set how many connections are served at once.
    pub fn with_max_sessions(mut self, n: usize) -> Self {
        self.max_sessions = n;
        self
    }

    /// Close every connection this long after it was accepted (`None`: never).
    pub fn with_session_limit(mut self, limit: Option<Duration>) -> Self {
        self.session_limit = limit;
        self
    }

    /// Close a connection that takes longer than this to complete a line
    /// (`None`: no minimum line rate).
    pub fn with_line_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.line_timeout = timeout;
        self
    }

    /// Choose who may stop the server with `stop`.
    pub fn with_remote_stop(mut self, who: RemoteStop) -> Self {
        self.remote_stop = who;
        self
    }

    /// The listening address and port.
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::new(self.address, self.port)
    }
}
