//! A `smolsock::Clock` on SysTick: a 1 ms tick counted by the SysTick
//! exception. `idle` executes `WFI` until the deadline or an Ethernet frame.

use crate::enet;
use core::cell::Cell;
use core::sync::atomic::{AtomicU32, Ordering};
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use smolsock::smoltcp::time::Instant;
use smolsock::{Clock, Idle};

/// The core clock of QEMU's `lm3s6965evb` out of reset: QEMU derives it from
/// RCC as 200 MHz / (SYSDIV + 1), and the reset SYSDIV is 15: 12.5 MHz. Real
/// silicon runs from its oscillator until the PLL is set up: a board passes
/// its own frequency to [`SysTickClock::start`].
pub const RESET_CORE_HZ: u32 = 12_500_000;

static TICKS: AtomicU32 = AtomicU32::new(0);

/// Count one millisecond (called by the SysTick exception).
pub fn tick() {
    TICKS.fetch_add(1, Ordering::Relaxed);
}

/// The raw 32-bit millisecond count (wraps after 49 days).
pub fn ticks() -> u32 {
    TICKS.load(Ordering::Relaxed)
}

/// Milliseconds since the clock started, from the 32-bit tick count,
/// extended to 64 bits (it wraps after 49 days).
pub struct SysTickClock {
    high: Cell<u32>,
    last: Cell<u32>,
}

impl SysTickClock {
    /// Start SysTick at 1 kHz from a `core_hz` core clock.
    pub fn start(mut syst: SYST, core_hz: u32) -> Self {
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(core_hz / 1000 - 1);
        syst.clear_current();
        syst.enable_interrupt();
        syst.enable_counter();
        SysTickClock {
            high: Cell::new(0),
            last: Cell::new(0),
        }
    }

    /// Milliseconds since start.
    pub fn millis(&self) -> u64 {
        let t = TICKS.load(Ordering::Relaxed);
        if t < self.last.get() {
            self.high.set(self.high.get().wrapping_add(1));
        }
        self.last.set(t);
        (u64::from(self.high.get()) << 32) | u64::from(t)
    }
}

impl Clock for SysTickClock {
    fn now(&self) -> Instant {
        Instant::from_millis(self.millis() as i64)
    }

    /// Sleep in `WFI` until `until` or a received frame. Interrupts are
    /// masked between the check and `WFI` (a pending interrupt still ends
    /// `WFI`), so a frame arriving in between cannot be slept through.
    fn idle(&self, until: Option<Instant>) -> Idle {
        loop {
            let done = cortex_m::interrupt::free(|_| {
                if enet::frame_waiting() || until.is_some_and(|t| self.now() >= t) {
                    return true;
                }
                cortex_m::asm::wfi();
                false
            });
            if done {
                return Idle::Waited;
            }
        }
    }
}
