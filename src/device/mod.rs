//! What a [`Stack`](crate::Stack) runs on: the [`NetDevice`] trait, met by
//! every `smoltcp::phy::Device` (smoltcp's `Loopback` and TAP, your own MAC
//! driver) and by `EmbassyDriver` (feature `embassy-net-driver`: any
//! embassy-net driver, with its link state and wake-ups). With `std`: a
//! Linux `Tap` device whose open errors say what happened (with `async`,
//! `asynch::TapReady` wakes the runner on its descriptor).
//!
//! The core sees a device type-erased (`&mut dyn NetDevice`), so `Stack`
//! and `Socket` are not generic. It calls the device from `Stack::poll`,
//! the blocking wait loop and the async runner, and also from the calls
//! that transmit at once: each send's immediate transmit, `listen`,
//! `shutdown`, `close`, and slot claiming (which sends the RST of a
//! reclaimed connection).

mod driver;
#[cfg(feature = "embassy-net-driver")]
mod embassy;

#[cfg(feature = "std")]
mod tap;

#[cfg(feature = "embassy-net-driver")]
pub use embassy::EmbassyDriver;
#[cfg(feature = "std")]
pub use tap::{Tap, TapError, TapFrames, CARRIER_WAIT, LINK_CHECK};

pub(crate) use driver::sealed::Driver;
pub use driver::NetDevice;
