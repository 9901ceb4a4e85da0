//! The seed's line server on QEMU's riscv32 `virt` (virtio-net), on
//! QEMU's user network (10.0.2.15/24 via 10.0.2.2), port
//! 10001, backlog 5, 5 s idle timeout. Prints each line stripped and 16
//! dashes after each connection on the UART; `stop` ends QEMU with exit
//! status 0. The program is `smolsock_firmware::line_server`, shared with
//! the other boards.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::mem::MaybeUninit;
use smolsock_firmware::line_server;
use smolsock_firmware_resources::LineServerResources;
use smolsock_riscv32_virt::board::{self, Virt};
use smolsock_riscv32_virt::hw::Once;

/// Connections served at once: the seed's one.
const SESSIONS: usize = 1;

static RESOURCES: Once<MaybeUninit<LineServerResources>> = Once::new(MaybeUninit::uninit());

/// The start-up code's `call main`.
#[allow(unsafe_code)] // `export_name`: the one `main` symbol the start-up code calls
#[export_name = "main"]
extern "C" fn main() -> ! {
    let (device, clock, config) = board::network();
    let Some(resources) = RESOURCES.take() else {
        board::fail(b"resources taken twice")
    };
    line_server::run::<Virt, _, SESSIONS>(device, clock, config, resources)
}
