//! The seed's line server on the LM3S6965 (QEMU `lm3s6965evb`): 10.0.2.15/24
//! via 10.0.2.2 (QEMU's user network), port 10001, backlog 5, 5 s idle
//! timeout. Prints each line stripped and 16 dashes after each connection on
//! UART0; `stop` ends QEMU with exit status 0. The program is
//! `smolsock_firmware::line_server`, shared with the other boards.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::mem::MaybeUninit;
use cortex_m_rt::entry;
use smolsock_firmware::line_server;
use smolsock_firmware_resources::LineServerResources;
use smolsock_lm3s6965::board::{self, Lm3s};
use smolsock_lm3s6965::clock::SysTickClock;
use smolsock_lm3s6965::enet::{Enet, MTU};

/// Connections served at once: the seed's one, or 2 with the feature
/// `two-sessions` (the wake-up measurement, `scripts/firmware-wakeups.py`).
const SESSIONS: usize = if cfg!(feature = "two-sessions") { 2 } else { 1 };

#[entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut`, taken once: no heap, no unsafe.
    static mut RESOURCES: MaybeUninit<LineServerResources> = MaybeUninit::uninit();
    static mut DEVICE: Option<Enet> = None;
    static mut RX_BUFFER: [u8; MTU] = [0; MTU];
    static mut CLOCK: Option<SysTickClock> = None;

    let (device, clock, config) = board::network(RX_BUFFER, DEVICE, CLOCK);
    line_server::run::<Lm3s, _, SESSIONS>(device, clock, config, RESOURCES)
}
