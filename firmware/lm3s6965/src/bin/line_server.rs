//! The seed's line server on the LM3S6965 (QEMU `lm3s6965evb`): 10.0.2.15/24
//! via 10.0.2.2 (QEMU's user network), port 10001, backlog 5, 5 s idle
//! timeout. Prints each line stripped and 16 dashes after each connection on
//! UART0; `stop` ends QEMU with exit status 0.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::mem::MaybeUninit;
use cortex_m_rt::entry;
use smolsock::line::{CloseReason, Line, LineConfig, LineHandler, LineServer, SessionInfo};
use smolsock::{Error, Stack};
use smolsock_lm3s6965::board;
use smolsock_lm3s6965::clock::SysTickClock;
use smolsock_lm3s6965::console;
use smolsock_lm3s6965::enet::{Enet, MTU};
use smolsock_lm3s6965_resources::{self as resources, LineServerResources};

/// The seed's output: each line, then 16 dashes per closed connection.
struct Printer;

impl LineHandler for Printer {
    fn line(&mut self, _s: &SessionInfo, line: Line<'_>) {
        console::line(line.as_bytes());
    }

    fn closed(&mut self, _s: &SessionInfo, _why: CloseReason) {
        console::line(b"----------------");
    }
}

fn error_name(e: Error) -> &'static [u8] {
    e.python_name().as_bytes()
}

#[entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut`, taken once: no heap, no unsafe.
    static mut RESOURCES: MaybeUninit<LineServerResources> = MaybeUninit::uninit();
    static mut DEVICE: Option<Enet> = None;
    static mut RX_BUFFER: [u8; MTU] = [0; MTU];
    static mut CLOCK: Option<SysTickClock> = None;

    let (device, clock, config) = board::network(RX_BUFFER, DEVICE, CLOCK);
    // In .bss (no flash image), filled in place at run time: 6 slots (a
    // backlog of 5 and the connection being served), 1 KiB + 1 KiB each.
    let resources = resources::line_server(RESOURCES);
    let Ok(stack) = Stack::new(device, clock, resources, config) else {
        board::fail(b"bad network configuration")
    };
    let mut server: LineServer = match LineServer::new(&stack, LineConfig::default()) {
        Ok(s) => s,
        Err(e) => {
            console::write(b"cannot listen on port 10001: ");
            board::fail(error_name(e))
        }
    };
    match server.run(&mut Printer) {
        Ok(()) => board::exit_ok(),
        Err(e) => {
            console::write(b"line server failed: ");
            board::fail(error_name(e))
        }
    }
}
