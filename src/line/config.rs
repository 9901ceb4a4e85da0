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

/// Line server settings. The defaults are the seed's: port 10001 on every
/// address, backlog 5, idle timeout 5 s, one session at a time, and a line
/// limit of 1024 bytes.
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

    /// Set the listen backlog.
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

    /// The listening address and port.
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::new(self.address, self.port)
    }
}
