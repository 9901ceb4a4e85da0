//! `Config`: how a `Stack`'s interface is set up.

use crate::error::ConfigError;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr};

/// Most interface addresses a [`Config`] carries.
pub const MAX_ADDRS: usize = 4;
/// Most DNS servers a [`Config`] carries.
pub const MAX_DNS: usize = 3;

/// How a [`Stack`](crate::Stack) is set up.
///
/// **The random seed.** Every configuration carries one: it seeds TCP's
/// initial sequence numbers (RFC 6528: predictable ones let an off-path host
/// attack a connection), the first ephemeral port and the resolver's query
/// ids. A fixed seed repeats all three on every run, and a program restarted
/// within its peer's TIME-WAIT (60 s on Linux) then stalls on its first
/// connect. So forgetting it is impossible:
/// - with the feature `std`, `Config::ip`, `Config::ethernet` and
///   `Config::loopback` take a fresh seed from the operating system
///   (`/dev/urandom`, through `os_random_seed`);
/// - without `std` those three do not exist (a compile-time error), and
///   [`Config::new`] takes the seed as its second argument. Firmware gets
///   entropy from a hardware RNG (STM32 `RNG`, nRF `RNG`, RP2040 `ROSC`),
///   else from ADC noise (the low bits of a floating input or the
///   temperature sensor), else a unique device ID mixed with a boot counter
///   kept in flash, so every boot of every device differs.
///
/// Tests that need a reproducible run set it with
/// [`with_random_seed`](Self::with_random_seed).
///
/// ```
/// use smolsock::Config;
/// use smoltcp::wire::{EthernetAddress, IpCidr, Ipv4Address};
/// # fn hardware_rng() -> u64 { 0x1234_5678 }
/// let cfg = Config::new(EthernetAddress([0x02, 0, 0, 0, 0, 2]).into(), hardware_rng())
///     .with_address(IpCidr::new(Ipv4Address::new(192, 168, 69, 2).into(), 24))
///     .with_gateway(Ipv4Address::new(192, 168, 69, 1).into())
///     .with_dns_server(Ipv4Address::new(192, 168, 69, 1).into());
/// assert_eq!(cfg.addresses.len(), 1);
/// assert_eq!(cfg.random_seed, 0x1234_5678);
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
    /// DNS servers for `Stack::resolve` (feature `dns`).
    pub dns_servers: heapless::Vec<IpAddress, MAX_DNS>,
    /// Seeds TCP initial sequence numbers, the first ephemeral port and DNS
    /// query ids: different on every boot (see the type's docs).
    pub random_seed: u64,
}

impl Config {
    /// An interface on `hardware_addr` (`HardwareAddress::Ip` for TUN or
    /// smoltcp's `Loopback(Medium::Ip)`, a MAC for Ethernet) with no address
    /// yet, seeded with `random_seed` (see the type's docs for where firmware
    /// gets one).
    ///
    /// ```
    /// use smolsock::Config;
    /// use smoltcp::wire::HardwareAddress;
    /// # let seed_from_the_rng = 7;
    /// let cfg = Config::new(HardwareAddress::Ip, seed_from_the_rng);
    /// assert!(cfg.addresses.is_empty());
    /// ```
    pub fn new(hardware_addr: HardwareAddress, random_seed: u64) -> Self {
        Config {
            hardware_addr,
            addresses: heapless::Vec::new(),
            gateways: heapless::Vec::new(),
            dns_servers: heapless::Vec::new(),
            random_seed,
        }
    }

    /// An IP-medium interface (TUN, smoltcp's `Loopback(Medium::Ip)`) with no
    /// address yet, seeded from the OS (feature `std`; without it, use
    /// [`Config::new`]).
    ///
    /// ```
    /// let cfg = smolsock::Config::ip();
    /// assert!(cfg.addresses.is_empty());
    /// ```
    #[cfg(feature = "std")]
    pub fn ip() -> Self {
        Self::new(HardwareAddress::Ip, crate::seed::os_random_seed())
    }

    /// An Ethernet interface (TAP, a MAC) with this MAC address, seeded from
    /// the OS (feature `std`; without it, use [`Config::new`]).
    ///
    /// ```
    /// let cfg = smolsock::Config::ethernet([0x02, 0, 0, 0, 0, 2]);
    /// assert!(cfg.addresses.is_empty());
    /// ```
    #[cfg(feature = "std")]
    pub fn ethernet(mac: [u8; 6]) -> Self {
        let mac = HardwareAddress::Ethernet(smoltcp::wire::EthernetAddress(mac));
        Self::new(mac, crate::seed::os_random_seed())
    }

    /// For smoltcp's `Loopback(Medium::Ip)`: 127.0.0.1/8 and ::1/128, seeded
    /// from the OS (feature `std`).
    ///
    /// ```
    /// let cfg = smolsock::Config::loopback();
    /// assert!(!cfg.addresses.is_empty());
    /// ```
    #[cfg(feature = "std")]
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
    /// unicast (or unspecified), the MAC unicast; and that no DNS server is
    /// a loopback address the interface does not hold (127.0.0.53 on a TAP
    /// stack: [`ConfigError::DnsServerNotReachable`]).
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
        if let Some(s) = self
            .dns_servers
            .iter()
            .find(|s| crate::addr::foreign_loopback(s, &self.addresses))
        {
            return Err(ConfigError::DnsServerNotReachable(*s));
        }
        Ok(())
    }

    /// Set the random seed: for a reproducible test run, or a seed of the
    /// program's own.
    ///
    /// ```
    /// let cfg = smolsock::Config::loopback().with_random_seed(42);
    /// assert_eq!(cfg.random_seed, 42);
    /// ```
    pub fn with_random_seed(mut self, seed: u64) -> Self {
        self.random_seed = seed;
        self
    }
}
