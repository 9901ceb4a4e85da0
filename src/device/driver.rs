//! The core's view of a device (the sealed `Driver` trait) and the public
//! name for what `Stack::new` takes (`NetDevice`), with the impl for every
//! `smoltcp::phy::Device`.

use crate::error::ConfigError;
use core::task::Waker;
use smoltcp::iface::{Config, Interface, PollIngressSingleResult, PollResult, SocketSet};
use smoltcp::phy::{Device, Medium};
use smoltcp::time::Instant;
use smoltcp::wire::HardwareAddress;

pub mod sealed {
    use super::*;

    /// The core's view of a device (sealed: its methods are the core's).
    pub trait Driver {
        /// The smoltcp interface on this device.
        fn interface(&mut self, config: Config, now: Instant) -> Interface;
        /// Receive and process one frame; true if one came.
        fn ingress(&mut self, iface: &mut Interface, set: &mut SocketSet<'_>, now: Instant)
            -> bool;
        /// Transmit what the sockets have; true if a socket's state changed.
        fn egress(&mut self, iface: &mut Interface, set: &mut SocketSet<'_>, now: Instant) -> bool;
        /// The device's medium (`Interface::hardware_addr` panics on an IP one).
        fn medium(&self) -> Medium;
        /// Is the link up? A plain `smoltcp::phy::Device` has none: always.
        fn link_up(&mut self) -> bool {
            true
        }
        /// How often the stack must ask `link_up` again while the link is
        /// down, for a device that does not wake it when the link comes
        /// back (a TAP device); `None`: the device wakes it, or has no link.
        fn link_check_interval(&self) -> Option<smoltcp::time::Duration> {
            None
        }
        /// The hardware address the device itself reports (it wins over the
        /// `Config`'s); `None`: the `Config` says.
        fn hardware_addr(&self) -> Result<Option<HardwareAddress>, ConfigError> {
            Ok(None)
        }
        /// The waker the device wakes when a frame, TX room or a link
        /// change comes (the async runner's).
        fn set_waker(&mut self, _waker: &Waker) {}
        /// Does the device wake the runner itself (through `set_waker`)?
        fn wakes_runner(&self) -> bool {
            false
        }
    }
}

/// A device a [`Stack`](crate::Stack) can run on: any
/// `smoltcp::phy::Device`, or an `EmbassyDriver` (feature
/// `embassy-net-driver`). Sealed: it has no methods of its own to write.
///
/// ```
/// fn takes<D: smolsock::NetDevice>(_: &mut D) {}
/// takes(&mut smolsock::smoltcp::phy::Loopback::new(smolsock::smoltcp::phy::Medium::Ip));
/// ```
pub trait NetDevice: sealed::Driver {}

impl<T: sealed::Driver + ?Sized> NetDevice for T {}

impl<D: Device + ?Sized> sealed::Driver for D {
    fn interface(&mut self, config: Config, now: Instant) -> Interface {
        Interface::new(config, self, now)
    }
    fn ingress(&mut self, iface: &mut Interface, set: &mut SocketSet<'_>, now: Instant) -> bool {
        iface.poll_ingress_single(now, self, set) != PollIngressSingleResult::None
    }
    fn egress(&mut self, iface: &mut Interface, set: &mut SocketSet<'_>, now: Instant) -> bool {
        iface.poll_egress(now, self, set) == PollResult::SocketStateChanged
    }
    fn medium(&self) -> Medium {
        self.capabilities().medium
    }
}
