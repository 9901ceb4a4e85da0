//! Bring-up, failure and exit (the handlers are in `interrupts`).

use crate::clock::{self, SysTickClock};
use crate::enet::{Enet, MTU};
use crate::hw;
use smolsock::Config;
use smolsock_firmware::{netconfig, out, Board};

/// The LM3S6965 as the shared programs see it: UART0 for the console,
/// semihosting for the command line and the exit.
#[derive(Debug, Clone, Copy)]
pub struct Lm3s;

impl Board for Lm3s {
    type Semihosting = hw::Bkpt;

    fn put(byte: u8) {
        hw::uart_put(byte);
    }

    fn exit(ok: bool) -> ! {
        hw::exit(ok)
    }
}

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

/// Bring the board's network up for a program: the MAC and the clock moved
/// into their `'static` places, and the interface configuration of QEMU's
/// user network (10.0.2.15/24, gateway 10.0.2.2; the seed from SysTick and
/// the MAC). Ends the program with `error: board init` if the board was
/// already brought up.
pub fn network(
    rx_buffer: &'static mut [u8; MTU],
    device: &'static mut Option<Enet>,
    clock: &'static mut Option<SysTickClock>,
) -> (&'static mut Enet, &'static SysTickClock, Config) {
    let Some((enet, clk)) = init(rx_buffer) else {
        fail(b"board init")
    };
    let clock = clock.insert(clk);
    // The seed's varying part: the SysTick counter at this point (it runs
    // on the host's time in QEMU).
    let entropy = u64::from(cortex_m::peripheral::SYST::get_current());
    let config = netconfig::qemu_user_net(enet.mac_address(), entropy);
    (device.insert(enet), clock, config)
}

/// Print `error: <what>` on the console and end with a non-zero exit status.
pub fn fail(what: &[u8]) -> ! {
    out::fail::<Lm3s>(what)
}

/// End with exit status 0.
pub fn exit_ok() -> ! {
    hw::exit(true)
}
