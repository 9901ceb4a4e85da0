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
    /// A device that reports its own (an `EmbassyDriver`) replaces it.
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
    /// Get the IPv4 address, gateway and DNS servers from DHCP (feature `dhcp`).
    #[cfg(feature = "dhcp")]
    pub dhcp: Option<DhcpConfig>,
}

/// Longest host name [`Config::with_host_name`] sends (a DNS label is at most 63 bytes).
#[cfg(feature = "dhcp")]
pub const MAX_HOST_NAME: usize = 63;

/// How the DHCPv4 client runs (feature `dhcp`); see [`Config::dhcp`].
///
/// ```
/// use smolsock::Config;
/// let cfg = Config::dhcp([0x02, 0, 0, 0, 0, 2]).with_host_name("board-7");
/// assert_eq!(cfg.dhcp.and_then(|d| d.host_name), Some("board-7"));
/// ```
#[cfg(feature = "dhcp")]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DhcpConfig {
    /// Sent as option 12 (host name) so the server can register the name
    /// (dnsmasq then resolves it). At most [`MAX_HOST_NAME`] bytes.
    pub host_name: Option<&'static str>,
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
            #[cfg(feature = "dhcp")]
            dhcp: None,
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

    /// An Ethernet interface with this MAC that gets its IPv4 address,
    /// default gateway and DNS servers from a DHCP server (feature `dhcp`).
    ///
    /// The stack applies each lease as it comes (address, default route,
    /// the resolver's servers), renews it at T1 with its server, rebinds at
    /// T2 with any server, and removes it when it expires or the link goes
    /// down; a NAK starts over. Addresses, gateways and DNS servers added
    /// with the `with_*` calls are kept beside the lease (the lease's DNS
    /// servers replace the static ones while it lasts). Wait for the lease
    /// with [`Stack::wait_config_up`](crate::Stack::wait_config_up) and read
    /// it with [`Stack::ipv4_config`](crate::Stack::ipv4_config).
    ///
    /// The DHCP client takes one entry of the stack's socket set (one of
    /// the `SOCKETS` of [`StackResources`](crate::StackResources)) for the
    /// stack's whole life, as embassy-net's does.
    ///
    /// ```
    /// use smolsock::Config;
    /// let cfg = Config::dhcp([0x02, 0, 0, 0, 0, 2]);
    /// assert!(cfg.dhcp.is_some() && cfg.addresses.is_empty());
    /// ```
    ///
    /// Without `std`: `Config::new(EthernetAddress(mac).into(), seed).with_dhcp()`.
    #[cfg(all(feature = "dhcp", feature = "std"))]
    pub fn dhcp(mac: [u8; 6]) -> Self {
        Self::ethernet(mac).with_dhcp()
    }

    /// Turn DHCP on (feature `dhcp`): as `Config::dhcp`, for a device that
    /// reports its own MAC address (an
    /// [`EmbassyDriver`](crate::device::EmbassyDriver)), or after
    /// [`Config::new`] in firmware.
    ///
    /// ```
    /// use smolsock::Config;
    /// use smoltcp::wire::EthernetAddress;
    /// # let seed_from_the_rng = 7;
    /// let cfg = Config::new(EthernetAddress([0x02, 0, 0, 0, 0, 2]).into(), seed_from_the_rng)
    ///     .with_dhcp()
    ///     .with_host_name("board-7");
    /// assert!(cfg.dhcp.is_some());
    /// ```
    #[cfg(feature = "dhcp")]
    pub fn with_dhcp(mut self) -> Self {
        self.dhcp.get_or_insert_with(DhcpConfig::default);
        self
    }

    /// Send `name` as the DHCP host name (feature `dhcp`; turns DHCP on if
    /// it was off). Longer than [`MAX_HOST_NAME`] bytes, or not a valid
    /// host name (letters, digits, `-`): the stack refuses the
    /// configuration ([`ConfigError::BadHostName`]).
    #[cfg(feature = "dhcp")]
    pub fn with_host_name(mut self, name: &'static str) -> Self {
        self.dhcp.get_or_insert_with(DhcpConfig::default).host_name = Some(name);
        self
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
        #[cfg(feature = "dhcp")]
        if let Some(d) = &self.dhcp {
            // smoltcp's DHCP socket panics on any other medium.
            if !matches!(self.hardware_addr, HardwareAddress::Ethernet(_)) {
                return Err(ConfigError::DhcpNeedsEthernet);
            }
            if let Some(name) = d.host_name {
                let ok = !name.is_empty()
                    && name.len() <= MAX_HOST_NAME
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                if !ok {
                    return Err(ConfigError::BadHostName);
                }
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

/// The interface's IPv4 set-up at one moment ([`Stack::ipv4_config`](crate::Stack::ipv4_config)):
/// a DHCP lease (feature `dhcp`) or the static address of the [`Config`].
///
/// ```
/// use smolsock::Ipv4Config;
/// use smoltcp::wire::{Ipv4Address, Ipv4Cidr};
/// let c = Ipv4Config {
///     address: Ipv4Cidr::new(Ipv4Address::new(10, 0, 0, 5), 24),
///     gateway: Some(Ipv4Address::new(10, 0, 0, 1)),
///     dns_servers: heapless::Vec::new(),
///     from_dhcp: false,
/// };
/// assert_eq!(c.address.prefix_len(), 24);
/// ```
#[cfg(feature = "proto-ipv4")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4Config {
    /// The address and its prefix.
    pub address: smoltcp::wire::Ipv4Cidr,
    /// The default gateway, if any.
    pub gateway: Option<smoltcp::wire::Ipv4Address>,
    /// DNS servers (the resolver uses them).
    pub dns_servers: heapless::Vec<smoltcp::wire::Ipv4Address, MAX_DNS>,
    /// True for a DHCP lease.
    pub from_dhcp: bool,
}
