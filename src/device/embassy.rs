//! Any `embassy-net-driver` 0.2 `Driver` as the stack's device (feature
//! `embassy-net-driver`): embassy-stm32's Ethernet MAC, cyw43, esp-radio,
//! W5500, enc28j60, ADIN1110, CDC-NCM, PPP, nrf91, embassy-net-tuntap, and
//! every driver built on embassy-net-driver-channel.
//!
//! An embassy driver is polled with a task `Context`: when it has no frame
//! or no TX room it keeps the context's waker and wakes it when that
//! changes. Under the async front end that waker is the runner's
//! ([`Stack::run`](crate::Stack::run)), so a frame, TX room or a link change
//! wakes the runner, with no polling loop. Under the blocking front end the
//! driver gets a no-op waker and the [`Clock`](crate::Clock)'s idle hook
//! sleeps until the device's interrupt (`WFI` in firmware) or its file
//! descriptor (`StdClock::with_fd` on Linux) says a frame may be there.

use super::driver::sealed::Driver;
use crate::error::ConfigError;
use core::task::{Context, Waker};
use embassy_net_driver as ed;
use smoltcp::iface::{Config, Interface, PollIngressSingleResult, PollResult, SocketSet};
use smoltcp::phy::{self, Checksum, ChecksumCapabilities, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress};

/// An embassy-net driver as a smolsock device: its hardware address and
/// medium, MTU, burst size and checksum offloads come from the driver, and
/// the stack follows its link state ([`Stack::is_link_up`](crate::Stack::is_link_up)).
/// The hardware address the driver reports replaces the
/// [`Config`](crate::Config)'s.
///
/// ```
/// # fn demo<D: embassy_net_driver::Driver>(driver: D) -> Result<(), smolsock::ConfigError> {
/// use smolsock::{Config, EmbassyDriver, SimClock, Stack, StackResources};
/// let clock = SimClock::new();
/// let mut dev = EmbassyDriver::new(driver);
/// let mut res = StackResources::<4, 1536>::new();
/// // The MAC comes from the driver; the address from DHCP.
/// let stack = Stack::new(&mut dev, &clock, &mut res, Config::ip().with_dhcp())?;
/// # let _ = stack; Ok(()) }
/// ```
pub struct EmbassyDriver<D> {
    driver: D,
    /// The waker the driver gets (the async runner's), if any.
    waker: Option<Waker>,
}

impl<D: ed::Driver> EmbassyDriver<D> {
    /// Wrap `driver`.
    pub fn new(driver: D) -> Self {
        EmbassyDriver {
            driver,
            waker: None,
        }
    }

    /// The driver.
    pub fn driver(&mut self) -> &mut D {
        &mut self.driver
    }

    /// The driver, unwrapped.
    pub fn into_inner(self) -> D {
        self.driver
    }

    /// Run `f` on the driver as a smoltcp device, with a context whose
    /// waker is the runner's (or a no-op one).
    fn with_view<R>(&mut self, f: impl FnOnce(&mut View<'_, '_, D>) -> R) -> R {
        let waker = self.waker.as_ref().unwrap_or(Waker::noop());
        let mut cx = Context::from_waker(waker);
        f(&mut View {
            driver: &mut self.driver,
            cx: &mut cx,
        })
    }
}

impl<D> core::fmt::Debug for EmbassyDriver<D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EmbassyDriver").finish_non_exhaustive()
    }
}

/// The smoltcp address of an embassy one.
fn hardware_addr(a: ed::HardwareAddress) -> Result<HardwareAddress, ConfigError> {
    match a {
        ed::HardwareAddress::Ethernet(mac) => Ok(HardwareAddress::Ethernet(EthernetAddress(mac))),
        ed::HardwareAddress::Ip => Ok(HardwareAddress::Ip),
        _ => Err(ConfigError::UnsupportedMedium),
    }
}

/// The smoltcp medium of an embassy address (802.15.4 is refused when the
/// stack is made).
fn medium(a: ed::HardwareAddress) -> Medium {
    match a {
        ed::HardwareAddress::Ip => Medium::Ip,
        _ => Medium::Ethernet,
    }
}

fn checksum(c: ed::Checksum) -> Checksum {
    match c {
        ed::Checksum::Both => Checksum::Both,
        ed::Checksum::Tx => Checksum::Tx,
        ed::Checksum::Rx => Checksum::Rx,
        ed::Checksum::None => Checksum::None,
    }
}

/// The driver with a context: a smoltcp `Device` for one poll.
struct View<'d, 'c, D> {
    driver: &'d mut D,
    cx: &'d mut Context<'c>,
}

/// A received frame.
struct Rx<T>(T);
/// Room for a frame to send.
struct Tx<T>(T);

impl<T: ed::RxToken> phy::RxToken for Rx<T> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        self.0.consume(|buf| f(buf))
    }
}

impl<T: ed::TxToken> phy::TxToken for Tx<T> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        self.0.consume(len, f)
    }
}

impl<D: ed::Driver> phy::Device for View<'_, '_, D> {
    type RxToken<'a>
        = Rx<D::RxToken<'a>>
    where
        Self: 'a;
    type TxToken<'a>
        = Tx<D::TxToken<'a>>
    where
        Self: 'a;

    fn receive(&mut self, _: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        self.driver
            .receive(self.cx)
            .map(|(rx, tx)| (Rx(rx), Tx(tx)))
    }

    fn transmit(&mut self, _: Instant) -> Option<Self::TxToken<'_>> {
        self.driver.transmit(self.cx).map(Tx)
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let c = self.driver.capabilities();
        let mut caps = DeviceCapabilities::default();
        caps.medium = medium(self.driver.hardware_address());
        caps.max_transmission_unit = c.max_transmission_unit;
        caps.max_burst_size = c.max_burst_size;
        let mut sums = ChecksumCapabilities::default();
        sums.ipv4 = checksum(c.checksum.ipv4);
        sums.udp = checksum(c.checksum.udp);
        sums.tcp = checksum(c.checksum.tcp);
        #[cfg(feature = "proto-ipv4")]
        {
            sums.icmpv4 = checksum(c.checksum.icmpv4);
        }
        #[cfg(feature = "proto-ipv6")]
        {
            sums.icmpv6 = checksum(c.checksum.icmpv6);
        }
        caps.checksum = sums;
        caps
    }
}

impl<D: ed::Driver> Driver for EmbassyDriver<D> {
    fn interface(&mut self, config: Config, now: Instant) -> Interface {
        self.with_view(|v| Interface::new(config, v, now))
    }

    fn ingress(&mut self, iface: &mut Interface, set: &mut SocketSet<'_>, now: Instant) -> bool {
        self.with_view(|v| iface.poll_ingress_single(now, v, set) != PollIngressSingleResult::None)
    }

    fn egress(&mut self, iface: &mut Interface, set: &mut SocketSet<'_>, now: Instant) -> bool {
        self.with_view(|v| iface.poll_egress(now, v, set) == PollResult::SocketStateChanged)
    }

    fn medium(&self) -> Medium {
        medium(self.driver.hardware_address())
    }

    fn link_up(&mut self) -> bool {
        self.with_view(|v| v.driver.link_state(v.cx) == ed::LinkState::Up)
    }

    fn hardware_addr(&self) -> Result<Option<HardwareAddress>, ConfigError> {
        hardware_addr(self.driver.hardware_address()).map(Some)
    }

    fn set_waker(&mut self, waker: &Waker) {
        if !self.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
            self.waker = Some(waker.clone());
        }
    }

    fn wakes_runner(&self) -> bool {
        true
    }
}
