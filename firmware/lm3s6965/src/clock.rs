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
/// Returns of `WFI` in the idle loops (every SysTick tick ends one).
static WFI_RETURNS: AtomicU32 = AtomicU32::new(0);
/// Returns of `Clock::idle` to the stack (each a pass of its wait loop).
static IDLE_RETURNS: AtomicU32 = AtomicU32::new(0);

/// How often the firmware woke since start.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Wakeups {
    /// `WFI` returned (an interrupt: the 1 ms SysTick, a frame).
    pub wfi: u32,
    /// The stack ran: `Clock::idle` returned to the wait loop (blocking
    /// programs), or the executor polled its tasks (async programs).
    pub stack: u32,
}

/// The wake-up counts since start.
pub fn wakeups() -> Wakeups {
    Wakeups {
        wfi: WFI_RETURNS.load(Ordering::Relaxed),
        stack: IDLE_RETURNS.load(Ordering::Relaxed),
    }
}

/// Count one `WFI` return (the idle loops call it).
pub fn count_wfi() {
    WFI_RETURNS.fetch_add(1, Ordering::Relaxed);
    #[cfg(feature = "wakeup-report")]
    report_each_second();
}

/// Count one return to the stack.
pub fn count_stack_wakeup() {
    IDLE_RETURNS.fetch_add(1, Ordering::Relaxed);
}

/// Feature `wakeup-report`: once a second (of SysTick), one line on the
/// host's stderr (semihosting) with the last second's counts:
/// `wakeups/s: stack N, wfi M` (`scripts/firmware-wakeups.py` reads them).
#[cfg(feature = "wakeup-report")]
fn report_each_second() {
    static LAST: AtomicU32 = AtomicU32::new(0);
    static BEFORE: AtomicU32 = AtomicU32::new(0);
    static BEFORE_WFI: AtomicU32 = AtomicU32::new(0);
    let now = ticks();
    if now.wrapping_sub(LAST.load(Ordering::Relaxed)) < 1000 {
        return;
    }
    LAST.store(now, Ordering::Relaxed);
    let w = wakeups();
    let stack = w
        .stack
        .wrapping_sub(BEFORE.swap(w.stack, Ordering::Relaxed));
    let wfi = w
        .wfi
        .wrapping_sub(BEFORE_WFI.swap(w.wfi, Ordering::Relaxed));
    let (a, b) = (&mut [0; 10], &mut [0; 10]);
    smolsock_firmware::semihosting::write_line::<crate::hw::Bkpt>(&[
        b"wakeups/s: stack ",
        smolsock_firmware::out::decimal(stack, a),
        b", wfi ",
        smolsock_firmware::out::decimal(wfi, b),
    ]);
}

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
                count_stack_wakeup();
                return Idle::Waited;
            }
            count_wfi();
        }
    }
}
