//! What every board's Ethernet `smoltcp::phy::Device` shares: the frame
//! size, a received frame as an `RxToken`, a frame built on the stack for
//! sending, and the capabilities.

use smolsock::smoltcp::phy::{self, DeviceCapabilities, Medium};

/// The largest Ethernet frame handled (no VLAN tag, CRC excluded).
pub const MTU: usize = 1514;

/// A received frame, borrowed from the driver's receive buffer.
///
/// ```
/// use smolsock::smoltcp::phy::RxToken;
/// let frame = [0u8; 60];
/// assert_eq!(smolsock_firmware::frame::RxFrame(&frame).consume(|f| f.len()), 60);
/// ```
#[derive(Debug)]
pub struct RxFrame<'a>(pub &'a [u8]);

impl phy::RxToken for RxFrame<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

/// A `TxToken`'s work: a frame of `len` bytes (at most [`MTU`]) built by
/// `fill` in a buffer on the stack (no static, no flash), then handed to
/// `send`; `fill`'s result.
///
/// ```
/// let mut sent = 0;
/// let r = smolsock_firmware::frame::build_and_send(64, |f| f.fill(1), |f| sent = f.len());
/// assert_eq!((r, sent), ((), 64));
/// ```
pub fn build_and_send<R>(
    len: usize,
    fill: impl FnOnce(&mut [u8]) -> R,
    send: impl FnOnce(&[u8]),
) -> R {
    let mut buf = [0u8; MTU];
    let frame = &mut buf[..len.min(MTU)];
    let r = fill(frame);
    send(frame);
    r
}

/// An Ethernet device of [`MTU`] that takes one frame at a time.
pub fn ethernet_capabilities() -> DeviceCapabilities {
    let mut caps = DeviceCapabilities::default();
    caps.medium = Medium::Ethernet;
    caps.max_transmission_unit = MTU;
    caps.max_burst_size = Some(1);
    caps
}
