//! The vector table's device part and every interrupt and exception handler
//! of the firmware, with the panic handler and embassy-executor's pender:
//! the one module that calls up into the drivers and the board (`enet`,
//! `clock`, `async_hw`, `board`), so that the register file [`crate::hw`]
//! below them imports nothing of the crate.
//!
//! The only `unsafe` here is what cortex-m-rt and the linker require of a
//! handler's declaration (`unsafe fn`, `no_mangle`, `export_name`); the
//! handlers' bodies are safe calls.
#![allow(unsafe_code)]

use crate::hw::ETH_IRQ;
use crate::{board, clock, enet};

/// embassy-executor's pender: a task was woken, the executor loop
/// (`async_hw::run`) must poll again.
// SAFETY: `export_name` makes this the one `__pender` symbol the raw
// executor declares (`extern "Rust" fn __pender(*mut ())`), with that
// signature; no other crate of the firmware defines it (no `platform-*`
// feature of embassy-executor is on). It may run in any interrupt: it only
// stores to an atomic.
#[cfg(feature = "async")]
#[export_name = "__pender"]
fn pender(_context: *mut ()) {
    crate::async_hw::pend();
}

// SAFETY: cortex-m-rt requires the HardFault handler to be an `unsafe fn`;
// this one only reports and exits, and never returns into the faulting code.
#[cortex_m_rt::exception]
unsafe fn HardFault(_frame: &cortex_m_rt::ExceptionFrame) -> ! {
    board::fail(b"hard fault")
}

// SAFETY: cortex-m-rt requires the default handler to be an `unsafe fn`.
// Every device interrupt lands here; only the Ethernet one is unmasked, and
// its handler just acknowledges the MAC's RX flag (the main loop reads frames);
// with the feature `async` it also sets the RX flag and wakes the runner,
// inside a critical section (`async_hw::rx_interrupt`).
#[cortex_m_rt::exception]
unsafe fn DefaultHandler(irqn: i16) {
    if irqn == ETH_IRQ as i16 {
        enet::ack_rx_interrupt();
        #[cfg(feature = "async")]
        crate::async_hw::rx_interrupt();
    }
}

/// The 1 ms tick: count it, and (feature `async`) wake a due sleeper.
#[cortex_m_rt::exception]
fn SysTick() {
    clock::tick();
    #[cfg(feature = "async")]
    crate::async_hw::tick();
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    board::fail(b"panic")
}

extern "C" {
    /// cortex-m-rt's symbol for the default handler (the one above).
    fn DefaultHandler();
}

/// Device interrupts of the LM3S6965 (IRQ 0 to 43, Ethernet is 42): the
/// vector table's tail, placed by cortex-m-rt's linker script (its `device`
/// feature). All go to `DefaultHandler`. 44 entries instead of the 240 a
/// generic table has: 784 bytes of flash.
// SAFETY: `no_mangle`/`link_section` make this the one `__INTERRUPTS` table
// cortex-m-rt's `link.x` expects in `.vector_table.interrupts`; every entry is
// a valid handler address.
#[link_section = ".vector_table.interrupts"]
#[no_mangle]
pub static __INTERRUPTS: [unsafe extern "C" fn(); 44] = [DefaultHandler; 44];
