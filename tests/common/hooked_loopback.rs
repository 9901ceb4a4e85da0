//! A loopback `Device` whose transmit side hands every frame to a hook
//! first: the hook records it, and says whether the frame comes back (is
//! queued for the receive side) or goes nowhere.

use super::RxTok;
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use std::collections::VecDeque;

/// What a [`HookedLoopback`] does with each frame sent: `true` delivers it
/// back to the stack, `false` drops it.
pub trait TxHook {
    fn on_tx(&mut self, frame: &[u8]) -> bool;
}

impl<F: FnMut(&[u8]) -> bool> TxHook for F {
    fn on_tx(&mut self, frame: &[u8]) -> bool {
        self(frame)
    }
}

/// An in-memory loopback: what the hook lets through is received next.
pub struct HookedLoopback<H> {
    caps: DeviceCapabilities,
    queue: VecDeque<Vec<u8>>,
    /// The policy (and whatever it recorded).
    pub hook: H,
}

impl<H: TxHook> HookedLoopback<H> {
    /// IP medium, MTU 1500.
    pub fn new(hook: H) -> Self {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ip;
        caps.max_transmission_unit = 1500;
        Self::with_caps(caps, hook)
    }

    /// With the given capabilities (medium, MTU, checksums).
    pub fn with_caps(caps: DeviceCapabilities, hook: H) -> Self {
        HookedLoopback {
            caps,
            queue: VecDeque::new(),
            hook,
        }
    }

    pub fn medium(&self) -> Medium {
        self.caps.medium
    }
}

pub struct HookTx<'a, H>(&'a mut HookedLoopback<H>);

impl<H: TxHook> phy::TxToken for HookTx<'_, H> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0; len];
        let r = f(&mut buf);
        if self.0.hook.on_tx(&buf) {
            self.0.queue.push_back(buf);
        }
        r
    }
}

impl<H: TxHook> Device for HookedLoopback<H> {
    type RxToken<'a>
        = RxTok
    where
        H: 'a;
    type TxToken<'a>
        = HookTx<'a, H>
    where
        H: 'a;

    fn receive(&mut self, _: Instant) -> Option<(RxTok, HookTx<'_, H>)> {
        let p = self.queue.pop_front()?;
        Some((RxTok(p), HookTx(self)))
    }

    fn transmit(&mut self, _: Instant) -> Option<HookTx<'_, H>> {
        Some(HookTx(self))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.caps.clone()
    }
}
