//! A `smolsock::Clock` on the CLINT's `mtime` (10 MHz on QEMU's `virt`).
//! `idle` sets the timer compare to the deadline and executes `wfi` until
//! the deadline or until the network device signals.

use crate::{hw, net};
use smolsock::smoltcp::time::Instant;
use smolsock::{Clock, Idle};

/// `mtime` ticks per microsecond (QEMU's `virt`: 10 MHz).
const TICKS_PER_US: u64 = 10;

/// Microseconds since reset, from `mtime`.
#[derive(Debug)]
pub struct MtimeClock {
    /// The virtio MMIO slot of the network device whose signal ends `idle`.
    slot: usize,
}

impl MtimeClock {
    /// A clock whose `idle` also ends when the network device in virtio
    /// MMIO slot `slot` signals.
    pub fn new(slot: usize) -> Self {
        MtimeClock { slot }
    }
}

impl Clock for MtimeClock {
    fn now(&self) -> Instant {
        Instant::from_micros((hw::mtime() / TICKS_PER_US) as i64)
    }

    /// Sleep in `wfi` until `until` or the device's signal. Interrupts are
    /// never taken (`mstatus.MIE` stays 0): a pending one ends `wfi` and
    /// stays pending, so one arriving between the check and `wfi` cannot
    /// be slept through.
    fn idle(&self, until: Option<Instant>) -> Idle {
        let due = until.map_or(u64::MAX, |t| {
            (t.total_micros().max(0) as u64).saturating_mul(TICKS_PER_US)
        });
        hw::set_mtimecmp(due);
        loop {
            if net::frame_may_wait(self.slot) || hw::mtime() >= due {
                return Idle::Waited;
            }
            hw::wfi();
            hw::plic_settle();
        }
    }
}
