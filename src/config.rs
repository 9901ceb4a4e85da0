//! `Config`: how a `Stack`'s interface is set up.

use crate::error::ConfigError;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr};

/// Most interface addresses a [`Config`] carries.
pub const MAX_ADDRS: usize = 4;
/// Most DNS servers a [`Config`] carries.
pub const MAX_DNS: usize = 3;

/// How a [`Stack`](crate::Stack) is set up.
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
    /// DNS servers for `Stack::resolve` (feature `dns`).
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
