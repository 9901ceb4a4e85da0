//! Bring-up, the interrupt handlers, panics and exit.

use crate::clock::{self, SysTickClock};
use crate::enet::{Enet, MTU};
use crate::{console, hw};
use cortex_m_rt::exception;

/// Clock the peripherals, start SysTick and the MAC (receiving into
/// `rx_buffer`), enable the RX interrupt. Returns `None` if the core
/// peripherals were already taken.
pub fn init(rx_buffer: &'static mut [u8; MTU]) -> Option<(Enet, SysTickClock)> {
    #[cfg(feature = "stack-report")]
    hw::stack::paint();
    let core = cortex_m::Peripherals::take()?;
    hw::enable_peripherals();
    let clock = SysTickClock::start(core.SYST, clock::RESET_CORE_HZ);
    let enet = Enet::new(rx_buffer);
    hw::enable_eth_irq();
    Some((enet, clock))
}

/// Print `error: <what>` on the console and end with a non-zero exit status.
pub fn fail(what: &[u8]) -> ! {
    console::write(b"error: ");
    console::line(what);
    hw::exit(false)
}

/// End with exit status 0.
pub fn exit_ok() -> ! {
    hw::exit(true)
}

#[exception]
fn SysTick() {
    clock::tick();
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    fail(b"panic")
}
