//! The board's async pieces (feature `async`), safe code over [`hw`]:
//!
//! - [`SysTickClock`] as a `smolsock::asynch::Timer`: a sleeper stores its
//!   deadline (in SysTick milliseconds) and its waker; the SysTick exception
//!   wakes it when the deadline has come, and only then (not on every tick).
//! - [`RxReady`], the runner's `DeviceReady`: the Ethernet RX interrupt sets
//!   a flag and wakes the stored waker; the future clears the flag.
//! - [`run`]: embassy-executor's raw executor in a loop that sleeps in `WFI`
//!   while no task is woken (QEMU halts on `WFI`; embassy's own cortex-m
//!   thread executor sleeps in `WFE`, which QEMU 7.2 treats as a yield).
//!
//! The cells are shared with the two interrupt handlers, so thread code only
//! touches them inside `cortex_m::interrupt::free`.

use crate::clock::{self, SysTickClock};
use crate::{enet, hw};
use core::cell::RefCell;
use core::future::{poll_fn, Future};
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::{Poll, Waker};
use cortex_m::interrupt::{self, Mutex};
use embassy_executor::raw::Executor;
use embassy_executor::Spawner;
use smolsock::asynch::{DeviceReady, Timer};
use smolsock::smoltcp::time::Instant;
use smolsock::Clock;

/// Farthest a SysTick alarm is set ahead (the wrapping comparison in the
/// handler holds to 2^31 ms); a later deadline wakes the sleeper early and
/// it sleeps again.
const MAX_AHEAD_MS: i64 = 1 << 30;

/// A sleeper: its deadline in SysTick milliseconds (low 32 bits) and waker.
struct Alarm {
    due: Option<u32>,
    waker: Option<Waker>,
}

static ALARM: Mutex<RefCell<Alarm>> = Mutex::new(RefCell::new(Alarm {
    due: None,
    waker: None,
}));

/// A received frame was signalled, and the runner's waker.
struct Rx {
    flag: bool,
    waker: Option<Waker>,
}

static RX: Mutex<RefCell<Rx>> = Mutex::new(RefCell::new(Rx {
    flag: false,
    waker: None,
}));

/// A task was woken since the executor loop last looked.
static PENDED: AtomicBool = AtomicBool::new(true);

/// The SysTick exception's part (after the tick is counted): wake the
/// sleeper whose deadline has come.
pub fn tick() {
    let now = clock::ticks();
    let waker = interrupt::free(|cs| {
        let mut a = ALARM.borrow(cs).borrow_mut();
        match a.due {
            // Due when `now` is at or past it, modulo 2^32.
            Some(due) if now.wrapping_sub(due) < 1 << 31 => {
                a.due = None;
                a.waker.take()
            }
            _ => None,
        }
    });
    if let Some(w) = waker {
        w.wake();
    }
}

/// The Ethernet interrupt's part (after the MAC's flag is acknowledged):
/// a frame may be waiting; wake the runner.
pub fn rx_interrupt() {
    let waker = interrupt::free(|cs| {
        let mut rx = RX.borrow(cs).borrow_mut();
        rx.flag = true;
        rx.waker.take()
    });
    if let Some(w) = waker {
        w.wake();
    }
}

/// The executor's pender (called from `interrupts`): poll again.
pub fn pend() {
    PENDED.store(true, Ordering::Release);
}

/// The runner's timer on the stack's own clock. One sleeper at a time (the
/// runner is the only one): a new sleeper replaces the stored deadline and
/// waker.
impl Timer for SysTickClock {
    fn sleep_until(&self, at: Instant) -> impl Future<Output = ()> {
        poll_fn(move |cx| {
            interrupt::free(|cs| {
                let now = self.now();
                if now >= at {
                    return Poll::Ready(());
                }
                let ahead = (at - now).total_millis().min(MAX_AHEAD_MS as u64) as u32;
                let mut a = ALARM.borrow(cs).borrow_mut();
                a.due = Some(clock::ticks().wrapping_add(ahead));
                match &mut a.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                Poll::Pending
            })
        })
    }
}

/// The runner's `DeviceReady`: resolves once the RX interrupt has fired
/// since the last time (or a frame is already waiting in the MAC).
#[derive(Debug, Default, Clone, Copy)]
pub struct RxReady;

impl DeviceReady for RxReady {
    fn ready(&mut self) -> impl Future<Output = ()> {
        poll_fn(|cx| {
            interrupt::free(|cs| {
                let mut rx = RX.borrow(cs).borrow_mut();
                if core::mem::replace(&mut rx.flag, false) || enet::frame_waiting() {
                    return Poll::Ready(());
                }
                match &mut rx.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                Poll::Pending
            })
        })
    }
}

/// Run `executor` forever: `init` spawns the tasks, then the loop polls the
/// woken tasks and sleeps in `WFI` while none is. Interrupts are masked
/// between the check and `WFI` (a pending interrupt still ends `WFI`), so a
/// wake from an interrupt cannot be slept through.
pub fn run(executor: &'static Executor, init: impl FnOnce(Spawner)) -> ! {
    init(executor.spawner());
    loop {
        hw::poll_executor(executor);
        clock::count_stack_wakeup();
        let slept = interrupt::free(|_| {
            let slept = !PENDED.swap(false, Ordering::AcqRel);
            if slept {
                cortex_m::asm::wfi();
            }
            slept
        });
        if slept {
            clock::count_wfi();
        }
    }
}
