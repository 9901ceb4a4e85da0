//! The seed's HTTP GET client on QEMU's riscv32 `virt` (virtio-net), on
//! QEMU's user network (10.0.2.15/24 via 10.0.2.2). Fetches
//! the URL given on the semihosting command line (QEMU's `-append`), else
//! the one built in
//! (`SMOLSOCK_HTTP_URL` at build time, default `http://10.0.2.2:8000/`),
//! prints the raw response on the UART and exits 0 at EOF; on error (a URL
//! that does not parse or does not fit the 256-byte command-line buffer
//! included) prints one `error: ...` line and exits 1. The program is
//! `smolsock_firmware::http_get`, shared with the other boards.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::mem::MaybeUninit;
use smolsock_firmware::http_get;
use smolsock_firmware_resources::HttpGetResources;
use smolsock_riscv32_virt::board::{self, Virt};
use smolsock_riscv32_virt::hw::Once;

static RESOURCES: Once<MaybeUninit<HttpGetResources>> = Once::new(MaybeUninit::uninit());
static CMDLINE: Once<[u8; 256]> = Once::new([0; 256]);

/// The start-up code's `call main`.
#[allow(unsafe_code)] // `export_name`: the one `main` symbol the start-up code calls
#[export_name = "main"]
extern "C" fn main() -> ! {
    let (device, clock, config) = board::network();
    let (Some(resources), Some(cmdline)) = (RESOURCES.take(), CMDLINE.take()) else {
        board::fail(b"resources taken twice")
    };
    http_get::run::<Virt, _>(device, clock, config, resources, cmdline)
}
