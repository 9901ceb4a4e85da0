//! The DHCPv4 client in the core (feature `dhcp`): smoltcp's DHCP socket,
//! in its own permanent entry of the socket set, and what a lease changes on
//! the interface (address, default route, the resolver's servers).
//!
//! smoltcp's socket runs the protocol (DISCOVER, REQUEST, renewing at T1,
//! rebinding at T2, expiry, NAK); after each poll the core reads its event
//! and applies it. Link down removes the lease and resets the client; link
//! up starts it over, as embassy-net does.

use super::Inner;
use crate::config::DhcpConfig;
use crate::config::{Ipv4Config, MAX_DNS};
use crate::log;
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::dhcpv4;
use smoltcp::wire::DhcpOption;
use smoltcp::wire::{IpAddress, IpCidr};

/// The DHCP client's state beside its socket.
pub(crate) struct Dhcp {
    /// The socket's permanent entry in the set (never removed).
    handle: SocketHandle,
    /// The lease applied to the interface now.
    lease: Option<Ipv4Config>,
    /// The configuration's own DNS servers, put back when a lease ends.
    #[cfg(feature = "dns")]
    static_dns: heapless::Vec<IpAddress, MAX_DNS>,
}

/// smoltcp's option code for the host name.
const OPT_HOST_NAME: u8 = 12;

impl Dhcp {
    /// Put the DHCP client's socket into `set` (its permanent entry), with
    /// the host name of `cfg` as an outgoing option.
    /// (`Stack::new` has taken a slot off for it, so the set has room:
    /// `SocketSet::add` panics on a full one.)
    pub fn new<'a>(
        set: &mut SocketSet<'a>,
        options: &'a mut [DhcpOption<'a>; 1],
        cfg: &DhcpConfig,
        #[allow(unused)] static_dns: &[IpAddress],
    ) -> Self {
        let mut socket = dhcpv4::Socket::new();
        if let Some(name) = cfg.host_name {
            let [host] = &mut *options;
            *host = DhcpOption {
                kind: OPT_HOST_NAME,
                data: name.as_bytes(),
            };
            socket.set_outgoing_options(&options[..]);
        }
        Dhcp {
            handle: set.add(socket),
            lease: None,
            #[cfg(feature = "dns")]
            static_dns: static_dns.iter().take(MAX_DNS).copied().collect(),
        }
    }
}

/// The Ipv4Config of a smoltcp lease.
fn from_lease(c: &dhcpv4::Config<'_>) -> Ipv4Config {
    Ipv4Config {
        address: c.address,
        gateway: c.router,
        dns_servers: c.dns_servers.iter().take(MAX_DNS).copied().collect(),
        from_dhcp: true,
    }
}

impl<'a> Inner<'a> {
    /// The DHCP client's socket.
    ///
    /// `SocketSet::get_mut` panics on a removed handle or another type;
    /// neither can happen: the handle came from this set's `add` of a DHCP
    /// socket in `Stack::new`, and nothing is ever removed from the set.
    fn dhcp_socket(&mut self) -> Option<&mut dhcpv4::Socket<'a>> {
        let h = self.dhcp.as_ref()?.handle;
        Some(self.set.get_mut::<dhcpv4::Socket<'a>>(h))
    }

    /// Apply what the DHCP client has learnt since the last look; true if
    /// the interface's configuration changed.
    pub(super) fn dhcp_update(&mut self) -> bool {
        let event = match self.dhcp_socket().and_then(|s| s.poll()) {
            None => return false,
            Some(dhcpv4::Event::Configured(c)) => Some(from_lease(&c)),
            Some(dhcpv4::Event::Deconfigured) => None,
        };
        self.apply_lease(event);
        true
    }

    /// The link went down (drop the lease, reset the client) or came up
    /// (start over at once).
    pub(super) fn dhcp_link_changed(&mut self, up: bool) {
        if let Some(s) = self.dhcp_socket() {
            s.reset();
            // The reset's "deconfigured" event, if it had a lease, is read
            // now: the address goes with the link.
            let _ = s.poll();
        }
        if !up {
            self.apply_lease(None);
        }
    }

    /// Replace the applied lease by `new` (none: remove it).
    fn apply_lease(&mut self, new: Option<Ipv4Config>) {
        let Some(d) = self.dhcp.as_mut() else { return };
        let old = core::mem::replace(&mut d.lease, new.clone());
        #[cfg(feature = "dns")]
        let static_dns = d.static_dns.clone();
        if let Some(old) = &old {
            let cidr = IpCidr::Ipv4(old.address);
            self.iface.update_ip_addrs(|a| a.retain(|c| *c != cidr));
            if old.gateway.is_some() {
                let _ = self.iface.routes_mut().remove_default_ipv4_route();
            }
        }
        match &new {
            Some(l) => {
                log::net_info!("DHCP lease: {} via {:?}", l.address, l.gateway);
                let mut fits = true;
                self.iface.update_ip_addrs(|a| {
                    fits = a.push(IpCidr::Ipv4(l.address)).is_ok();
                });
                if !fits {
                    log::net_warn!("DHCP: no room for the leased address");
                }
                if let Some(gw) = l.gateway {
                    let _ = self.iface.routes_mut().add_default_ipv4_route(gw);
                }
                #[cfg(feature = "dns")]
                if !l.dns_servers.is_empty() {
                    let servers: heapless::Vec<IpAddress, MAX_DNS> =
                        l.dns_servers.iter().map(|s| IpAddress::Ipv4(*s)).collect();
                    self.resolver.set_servers(&servers);
                }
            }
            None => {
                if old.is_some() {
                    log::net_info!("DHCP lease gone");
                }
                #[cfg(feature = "dns")]
                self.resolver.set_servers(&static_dns);
            }
        }
    }

    /// The lease applied now (`None` without DHCP or before the first lease).
    pub fn dhcp_lease(&self) -> Option<&Ipv4Config> {
        self.dhcp.as_ref()?.lease.as_ref()
    }

    /// Whether this stack runs a DHCP client.
    pub fn has_dhcp(&self) -> bool {
        self.dhcp.is_some()
    }
}
