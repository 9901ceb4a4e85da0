//! The interface's state as a program sees it: the link (up or down) and
//! the IPv4 configuration (a DHCP lease or the static address), with a wait
//! for each, blocking and async. Both waits are an `Op` like any socket
//! call's, so they poll the stack (blocking) or wait on the runner (async).

use super::{Op, Stack, Timeout};
#[cfg(feature = "proto-ipv4")]
use crate::config::Ipv4Config;
use crate::error::Error;
use crate::inner::Inner;

/// "Done" once `up` holds.
fn until(up: bool) -> Result<Option<()>, Error> {
    Ok(up.then_some(()))
}

impl Inner<'_> {
    /// The IPv4 set-up now: the DHCP lease with DHCP, else the interface's
    /// first IPv4 address with the configuration's gateway and servers.
    #[cfg(feature = "proto-ipv4")]
    pub fn ipv4_config(&self) -> Option<Ipv4Config> {
        #[cfg(feature = "dhcp")]
        if self.has_dhcp() {
            return self.dhcp_lease().cloned();
        }
        let address = self.iface.ipv4_addr()?;
        let cidr = self.iface.ip_addrs().iter().find_map(|c| match c {
            smoltcp::wire::IpCidr::Ipv4(c) if c.address() == address => Some(*c),
            #[allow(unreachable_patterns)]
            _ => None,
        })?;
        let gateway =
            self.iface
                .routes()
                .get_default_ipv4_route()
                .and_then(|r| match r.via_router {
                    smoltcp::wire::IpAddress::Ipv4(g) => Some(g),
                    #[allow(unreachable_patterns)]
                    _ => None,
                });
        Some(Ipv4Config {
            address: cidr,
            gateway,
            dns_servers: self.ipv4_dns_servers(),
            from_dhcp: false,
        })
    }
}

impl Inner<'_> {
    /// The resolver's IPv4 servers.
    #[cfg(feature = "proto-ipv4")]
    fn ipv4_dns_servers(
        &self,
    ) -> heapless::Vec<smoltcp::wire::Ipv4Address, { crate::config::MAX_DNS }> {
        #[cfg(feature = "dns")]
        return self
            .resolver
            .servers()
            .iter()
            .filter_map(|s| match s {
                smoltcp::wire::IpAddress::Ipv4(a) => Some(*a),
                #[allow(unreachable_patterns)]
                _ => None,
            })
            .collect();
        #[cfg(not(feature = "dns"))]
        heapless::Vec::new()
    }
}

impl Stack<'_> {
    /// Is the device's link up? A device without link state (a plain
    /// `smoltcp::phy::Device`: `Loopback`) is always up; a `Tap` follows
    /// Linux (`ip link set NAME down`). Read at the
    /// last poll. While the link is down sockets keep their state and
    /// nothing is sent; when it comes back, DHCP starts over.
    ///
    /// ```
    /// # use smolsock::{Config, SimClock, Stack, StackResources};
    /// # use smoltcp::phy::{Loopback, Medium};
    /// # let clock = SimClock::new();
    /// # let mut dev = Loopback::new(Medium::Ip);
    /// # let mut res = StackResources::<2, 256>::new();
    /// let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).unwrap();
    /// assert!(stack.is_link_up());
    /// ```
    pub fn is_link_up(&self) -> bool {
        self.with_core_no_wake(|core| core.link_up).unwrap_or(true)
    }

    /// Wait until the link is up, polling the stack, within `timeout`
    /// (`None`: no limit; `Some(0)`: one look). [`Error::TimedOut`] if it
    /// stays down.
    ///
    /// ```
    /// # use smolsock::{Config, SimClock, Stack, StackResources};
    /// # use smoltcp::phy::{Loopback, Medium};
    /// # let clock = SimClock::new();
    /// # let mut dev = Loopback::new(Medium::Ip);
    /// # let mut res = StackResources::<2, 256>::new();
    /// let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).unwrap();
    /// stack.wait_link_up(Some(core::time::Duration::from_secs(1)))?;
    /// # Ok::<(), smolsock::Error>(())
    /// ```
    pub fn wait_link_up(&self, timeout: Timeout) -> Result<(), Error> {
        self.block(
            timeout,
            Op::read(|core: &mut Inner<'_>| until(core.link_up)),
        )
    }

    /// [`wait_link_up`](Self::wait_link_up) as a future, woken by the
    /// runner ([`Stack::run`]).
    #[cfg(feature = "async")]
    pub async fn wait_link_up_async(&self, timeout: Timeout) -> Result<(), Error> {
        let op = Op::read(|core: &mut Inner<'_>| until(core.link_up));
        self.wait_async(crate::waiters::Waiter::Any, timeout, op)
            .await
    }

    /// The IPv4 set-up now: the DHCP lease (`Config::with_dhcp`, feature `dhcp`),
    /// else the static address with its gateway and DNS servers; `None`
    /// before a lease (or without an IPv4 address), and from inside a
    /// closure that holds the stack.
    ///
    /// ```
    /// # use smolsock::{Config, SimClock, Stack, StackResources};
    /// # use smoltcp::phy::{Loopback, Medium};
    /// # let clock = SimClock::new();
    /// # let mut dev = Loopback::new(Medium::Ip);
    /// # let mut res = StackResources::<2, 256>::new();
    /// let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).unwrap();
    /// let v4 = stack.ipv4_config().expect("127.0.0.1/8");
    /// assert_eq!(v4.address.prefix_len(), 8);
    /// ```
    #[cfg(feature = "proto-ipv4")]
    pub fn ipv4_config(&self) -> Option<Ipv4Config> {
        self.with_core_no_wake(|core| core.ipv4_config())
            .ok()
            .flatten()
    }

    /// Wait until the interface has an IPv4 configuration (a DHCP lease),
    /// polling the stack, within `timeout` (the whole call's); returns it.
    /// [`Error::TimedOut`] if no lease came in time.
    ///
    /// ```
    /// # use smolsock::{Config, SimClock, Stack, StackResources};
    /// # use smoltcp::phy::{Loopback, Medium};
    /// # let clock = SimClock::new();
    /// # let mut dev = Loopback::new(Medium::Ip);
    /// # let mut res = StackResources::<2, 256>::new();
    /// let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).unwrap();
    /// let v4 = stack.wait_config_up(Some(core::time::Duration::from_secs(10)))?;
    /// assert!(!v4.from_dhcp);
    /// # Ok::<(), smolsock::Error>(())
    /// ```
    #[cfg(feature = "proto-ipv4")]
    pub fn wait_config_up(&self, timeout: Timeout) -> Result<Ipv4Config, Error> {
        self.block(
            timeout,
            Op::read(|core: &mut Inner<'_>| Ok(core.ipv4_config())),
        )
    }

    /// [`wait_config_up`](Self::wait_config_up) as a future, woken by the
    /// runner ([`Stack::run`]).
    #[cfg(all(feature = "proto-ipv4", feature = "async"))]
    pub async fn wait_config_up_async(&self, timeout: Timeout) -> Result<Ipv4Config, Error> {
        let op = Op::read(|core: &mut Inner<'_>| Ok(core.ipv4_config()));
        self.wait_async(crate::waiters::Waiter::Any, timeout, op)
            .await
    }
}
