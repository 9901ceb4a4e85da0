//! Bring-up, failure and exit, and [`Virt`], the board the shared programs
//! (`smolsock-firmware`) print on (the 16550 UART, QEMU's stdout with
//! `-nographic`), read their command line from (semihosting) and exit
//! through (the SiFive test device).

use crate::clock::MtimeClock;
use crate::hw::{self, Once};
use crate::net::{Net, NetError, RX_LEN};
use smolsock::Config;
use smolsock_firmware::{netconfig, out, Board};

/// QEMU's riscv32 `virt` machine as the shared programs see it.
#[derive(Debug, Clone, Copy)]
pub struct Virt;

impl Board for Virt {
    type Semihosting = hw::Ebreak;

    fn put(byte: u8) {
        hw::uart_put(byte);
    }

    fn exit(ok: bool) -> ! {
        hw::exit(ok)
    }
}

static RX_BUFFER: Once<[u8; RX_LEN]> = Once::new([0; RX_LEN]);
static DEVICE: Once<Option<Net>> = Once::new(None);
static CLOCK: Once<Option<MtimeClock>> = Once::new(None);

/// Bring the board's network up for a program: the virtio network device
/// and the clock in their `'static` places, and the interface
/// configuration of QEMU's user network (10.0.2.15/24, gateway 10.0.2.2;
/// the seed from `mtime` and the MAC).
/// Ends the program with one `error: ...` line if there is no network
/// device or the board was already brought up.
pub fn network() -> (&'static mut Net, &'static MtimeClock, Config) {
    let (Some(rx), Some(device), Some(clock)) = (RX_BUFFER.take(), DEVICE.take(), CLOCK.take())
    else {
        fail(b"board init")
    };
    let net = match Net::find(rx) {
        Ok(n) => n,
        Err(NetError::NoDevice) => {
            fail(b"no virtio network device (start QEMU with -device virtio-net-device)")
        }
        Err(NetError::Init) => fail(b"the virtio network device did not initialise"),
    };
    let clock = clock.insert(MtimeClock::new(net.slot()));
    // The seed's varying part: `mtime` at this point (it runs on the host's
    // time in QEMU).
    let config = netconfig::qemu_user_net(net.mac_address(), hw::mtime());
    (device.insert(net), clock, config)
}

/// Print `error: <what>` on the console and end with a non-zero exit status.
pub fn fail(what: &[u8]) -> ! {
    out::fail::<Virt>(what)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    fail(b"panic")
}
