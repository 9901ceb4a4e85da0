//! `Stack`: the handle sockets are made from, and the driver side (`poll`).

use crate::inner::{Driver, Inner};
use crate::resources::{BufPool, StackResources};
use crate::time::{Clock, Idle};
use crate::{ConfigError, Error, ResolveError};
use core::cell::RefCell;
use smoltcp::iface::{Interface, SocketSet};
use smoltcp::phy::Device;
use smoltcp::socket::dns;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr};

/// Most interface addresses a [`Config`] carries.
pub const MAX_ADDRS: usize = 4;
/// Most DNS servers a [`Config`] carries.
pub const MAX_DNS: usize = 3;

/// How a [`Stack`] is set up.
///
/// ```
/// use smolsock::Config;
/// use smoltcp::wire::{IpCidr, Ipv4Address};
/// let cfg = Config::ethernet([0x02, 0, 0, 0, 0, 2])
///     .with_address(IpCidr::new(Ipv4Address::new(192, 168, 69, 2).into(), 24))
///     .with_gateway(Ipv4Address::new(192, 168, 69, 1).into())
///     .with_dns_server(Ipv4Address::new(192, 168, 69, 1).into());
/// assert_eq!(cfg.addresses.len(), 1);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// `HardwareAddress::Ip` for IP-medium devices (TUN, `Loopback`), a MAC for Ethernet.
    pub hardware_addr: HardwareAddress,
    /// The interface's addresses.
    pub addresses: heapless::Vec<IpCidr, MAX_ADDRS>,
    /// Default routes.
    pub gateways: heapless::Vec<IpAddress, 2>,
    /// DNS servers for [`Stack::resolve`].
    pub dns_servers: heapless::Vec<IpAddress, MAX_DNS>,
    /// Seeds TCP initial sequence numbers and the first ephemeral port.
    pub random_seed: u64,
}

impl Config {
    /// An IP-medium interface (TUN, smoltcp's `Loopback(Medium::Ip)`) with no address yet.
    pub fn ip() -> Self {
        Config {
            hardware_addr: HardwareAddress::Ip,
            addresses: heapless::Vec::new(),
            gateways: heapless::Vec::new(),
            dns_servers: heapless::Vec::new(),
            random_seed: 0x5eed,
        }
    }

    /// An Ethernet interface (TAP, a MAC) with this MAC address.
    pub fn ethernet(mac: [u8; 6]) -> Self {
        Config {
            hardware_addr: HardwareAddress::Ethernet(smoltcp::wire::EthernetAddress(mac)),
            ..Self::ip()
        }
    }

    /// For smoltcp's `Loopback(Medium::Ip)`: 127.0.0.1/8 and ::1/128.
    pub fn loopback() -> Self {
        let mut c = Self::ip();
        #[cfg(feature = "proto-ipv4")]
        {
            c = c.with_address(IpCidr::new(IpAddress::v4(127, 0, 0, 1), 8));
        }
        #[cfg(feature = "proto-ipv6")]
        {
            c = c.with_address(IpCidr::new(IpAddress::v6(0, 0, 0, 0, 0, 0, 0, 1), 128));
        }
        c
    }

    /// Add an interface address (ignored beyond [`MAX_ADDRS`]).
    pub fn with_address(mut self, cidr: IpCidr) -> Self {
        let _ = self.addresses.push(cidr);
        self
    }

    /// Add a default route via `gw`.
    pub fn with_gateway(mut self, gw: IpAddress) -> Self {
        let _ = self.gateways.push(gw);
        self
    }

    /// Add a DNS server (ignored beyond [`MAX_DNS`]).
    pub fn with_dns_server(mut self, server: IpAddress) -> Self {
        let _ = self.dns_servers.push(server);
        self
    }

    /// Check what smoltcp would otherwise panic on: every interface address
    /// unicast (or unspecified), the MAC unicast.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let HardwareAddress::Ethernet(mac) = self.hardware_addr {
            if !mac.is_unicast() {
                return Err(ConfigError::HardwareAddressNotUnicast);
            }
        }
        for c in &self.addresses {
            let a = c.address();
            if !a.is_unicast() && !a.is_unspecified() {
                return Err(ConfigError::AddressNotUnicast(a));
            }
        }
        Ok(())
    }

    /// Set the random seed.
    pub fn with_random_seed(mut self, seed: u64) -> Self {
        self.random_seed = seed;
        self
    }
}

/// How the stack's socket slots are used at one moment ([`Stack::stats`]):
/// a soak test checks that usage returns to its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// All slots (`SOCKETS` of the [`StackResources`]).
    pub slots: usize,
    /// Never used yet (no smoltcp socket made for them).
    pub unused: usize,
    /// Made once, now free for the next socket.
    pub free: usize,
    /// Held by a user's `Socket` (a listener's own slot included).
    pub user: usize,
    /// Armed in LISTEN (or holding a connection not yet accepted) for a listener's backlog.
    pub backlog: usize,
    /// Closed by the user, still finishing the TCP close (FIN-WAIT, TIME-WAIT).
    pub closing: usize,
}

/// How long a blocking call may wait: `None` blocks, `Some(0)` is
/// non-blocking, anything else is a timeout for the call as a whole.
pub(crate) type Timeout = Option<core::time::Duration>;

/// Why a wait ended without the operation completing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitEnd {
    WouldBlock,
    TimedOut,
    Stalled,
}

impl From<WaitEnd> for Error {
    fn from(w: WaitEnd) -> Self {
        match w {
            WaitEnd::WouldBlock => Error::WouldBlock,
            WaitEnd::TimedOut => Error::TimedOut,
            WaitEnd::Stalled => Error::Stalled,
        }
    }
}

impl From<WaitEnd> for ResolveError {
    fn from(w: WaitEnd) -> Self {
        match w {
            WaitEnd::WouldBlock | WaitEnd::TimedOut => ResolveError::TimedOut,
            WaitEnd::Stalled => ResolveError::Stalled,
        }
    }
}

/// The network stack: a smoltcp `Interface`, its sockets and a device.
///
/// Sockets are made from `&Stack` ([`Socket::new`](crate::Socket::new)); every
/// blocking socket call drives the stack itself through one wait loop. A
/// super-loop firmware instead calls [`Stack::poll`] and uses non-blocking sockets.
pub struct Stack<'a> {
    inner: RefCell<Inner<'a>>,
    clock: &'a dyn Clock,
}

impl<'a> Stack<'a> {
    /// Build a stack on `device`, with time from `clock`, memory from `resources`.
    ///
    /// Fails, before touching the device, on a configuration smoltcp would
    /// panic on (a multicast interface address, a multicast MAC) or could
    /// not hold (too many addresses or routes).
    pub fn new<D: Device + 'a, const N: usize, const B: usize>(
        device: &'a mut D,
        clock: &'a dyn Clock,
        resources: &'a mut StackResources<'a, N, B>,
        config: Config,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut ic = smoltcp::iface::Config::new(config.hardware_addr);
        ic.random_seed = config.random_seed;
        let now = clock.now();
        let mut iface = Interface::new(ic, device, now);
        let mut fits = true;
        iface.update_ip_addrs(|a| {
            for c in &config.addresses {
                fits &= a.push(*c).is_ok();
            }
        });
        if !fits {
            return Err(ConfigError::TooManyAddresses);
        }
        for gw in &config.gateways {
            let added = match gw {
                #[cfg(feature = "proto-ipv4")]
                IpAddress::Ipv4(g) => iface.routes_mut().add_default_ipv4_route(*g).is_ok(),
                #[cfg(feature = "proto-ipv6")]
                IpAddress::Ipv6(g) => iface.routes_mut().add_default_ipv6_route(*g).is_ok(),
            };
            if !added {
                return Err(ConfigError::TooManyGateways);
            }
        }
        let StackResources {
            storage,
            slots,
            rx,
            tx,
            rx_meta,
            tx_meta,
            dns_queries,
        } = resources;
        let pool = BufPool {
            rx: rx.as_flattened_mut(),
            tx: tx.as_flattened_mut(),
            rx_meta: rx_meta.as_flattened_mut(),
            tx_meta: tx_meta.as_flattened_mut(),
            buf: B,
        };
        let dns = dns::Socket::new(&config.dns_servers, &mut dns_queries[..]);
        let set = SocketSet::new(&mut storage[..]);
        let driver: &'a mut dyn Driver = device;
        let mut inner = Inner::new(
            iface,
            set,
            slots,
            driver,
            pool,
            Some(dns),
            config.random_seed,
        );
        inner.now = now;
        inner.dns_servers = config.dns_servers.len();
        Ok(Stack {
            inner: RefCell::new(inner),
            clock,
        })
    }

    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(&mut Inner<'a>) -> R) -> R {
        f(&mut self.inner.borrow_mut())
    }

    /// The clock's current time.
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// Process packets and timers at `now` (for super-loop firmware); true if
    /// anything happened. Blocking socket calls poll by themselves.
    pub fn poll(&self, now: Instant) -> bool {
        self.with_mut(|i| i.poll(now))
    }

    /// When [`poll`](Self::poll) should next be called (`None`: on the next packet).
    pub fn poll_at(&self) -> Option<Instant> {
        let now = self.clock.now();
        self.with_mut(|i| i.poll_at(now))
    }

    /// Run `f` on the smoltcp `Interface` (add addresses, routes, …).
    pub fn with_iface<R>(&self, f: impl FnOnce(&mut Interface) -> R) -> R {
        self.with_mut(|i| f(&mut i.iface))
    }

    /// How the socket slots are used now.
    pub fn stats(&self) -> Stats {
        self.with_mut(|i| i.stats())
    }

    /// Replace the DNS servers.
    pub fn set_dns_servers(&self, servers: &[IpAddress]) {
        self.with_mut(|i| {
            if let Some(d) = i.dns.as_mut() {
                d.update_servers(servers);
                i.dns_servers = servers.len();
            }
        })
    }

    /// The one wait loop every blocking call uses: poll, try, then return
    /// `WouldBlock` (non-blocking), `TimedOut` (deadline passed), or sleep
    /// through the clock until the deadline or the stack's next timer.
    pub(crate) fn wait<T, E: From<WaitEnd>>(
        &self,
        timeout: Timeout,
        mut op: impl FnMut(&mut Inner<'a>) -> Option<Result<T, E>>,
    ) -> Result<T, E> {
        let start = self.clock.now();
        // A deadline beyond what an Instant can hold is no deadline at all.
        let deadline = timeout.and_then(|d| {
            let micros = i64::try_from(d.as_micros()).ok()?;
            start
                .total_micros()
                .checked_add(micros)
                .map(Instant::from_micros)
        });
        loop {
            let now = self.clock.now();
            let next = self.with_mut(|i| {
                i.poll(now);
                op(i).ok_or_else(|| i.poll_at(now))
            });
            let next = match next {
                Ok(r) => return r,
                Err(next) => next,
            };
            if timeout.is_some_and(|d| d.is_zero()) {
                return Err(WaitEnd::WouldBlock.into());
            }
            if deadline.is_some_and(|d| now >= d) {
                return Err(WaitEnd::TimedOut.into());
            }
            // A timer already due would spin a simulated clock: nudge it.
            let next = next.map(|t| t.max(now + Duration::from_millis(1)));
            let until = match (deadline, next) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if self.clock.idle(until) == Idle::Stalled {
                return Err(WaitEnd::Stalled.into());
            }
        }
    }

    /// Resolve `name` to an address (Python's `getaddrinfo`, first answer).
    /// IP literals need no DNS. `timeout` bounds the whole query
    /// (`None`: wait for smoltcp's own DNS retries to end).
    pub fn resolve(
        &self,
        name: &str,
        timeout: Option<core::time::Duration>,
    ) -> Result<IpAddress, ResolveError> {
        crate::resolve::resolve(self, name, timeout)
    }
}
