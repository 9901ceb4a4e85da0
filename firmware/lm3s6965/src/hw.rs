//! Every `unsafe` operation of the firmware, and nothing else: memory-mapped
//! register access for the LM3S6965 blocks the firmware uses (system control,
//! UART0, the Ethernet MAC), the NVIC line of the Ethernet interrupt, and the
//! ARM semihosting calls (exit, command line). The rest of the crate is safe
//! code built on these functions (the handlers' declarations in
//! `interrupts` aside). This file imports nothing of the crate: the
//! interrupt handlers that call up into the drivers live in `interrupts`.
//!
//! Register addresses and layouts: TI's LM3S6965 data sheet; how QEMU models
//! the MAC: `hw/net/stellaris_enet.c` in QEMU's source.
#![allow(unsafe_code)]

use core::ptr;

/// System control: run-mode clock gating for UART0, GPIO A and the MAC/PHY.
const SYSCTL_RCGC1: usize = 0x400F_E104;
const SYSCTL_RCGC2: usize = 0x400F_E108;
const RCGC1_UART0: u32 = 1 << 0;
const RCGC2_GPIOA: u32 = 1 << 0;
const RCGC2_EMAC0: u32 = 1 << 28;
const RCGC2_EPHY0: u32 = 1 << 30;

/// UART0 (a PL011): data and flag registers, control.
const UART0: usize = 0x4000_C000;
const UART_DR: usize = 0x000;
const UART_FR: usize = 0x018;
const UART_CTL: usize = 0x030;
const UART_FR_TXFF: u32 = 1 << 5;
/// UARTEN | TXE | RXE.
const UART_CTL_ON: u32 = (1 << 0) | (1 << 8) | (1 << 9);

/// The Ethernet MAC's register block.
const ENET: usize = 0x4004_8000;

/// The MAC's registers (offsets from 0x4004_8000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Mac {
    /// MACRIS (read): raw interrupt status; MACIACK (write): acknowledge.
    Ris = 0x00,
    /// MACIM: interrupt mask (1 = enabled).
    Im = 0x04,
    /// MACRCTL: receive control.
    Rctl = 0x08,
    /// MACTCTL: transmit control.
    Tctl = 0x0C,
    /// MACDATA: the RX FIFO (read) and TX FIFO (write), one word at a time.
    Data = 0x10,
    /// MACIA0: MAC address bytes 0..4.
    Ia0 = 0x14,
    /// MACIA1: MAC address bytes 4..6.
    Ia1 = 0x18,
    /// MACTHR: TX threshold (0x3f: transmit only on MACTR).
    Thr = 0x1C,
    /// MACNP: frames waiting in the RX FIFO.
    Np = 0x34,
    /// MACTR: write NEWTX (bit 0) to send the frame in the TX FIFO; reads 1 while sending.
    Tr = 0x38,
}

/// Ethernet interrupt: IRQ 42 on the LM3S6965.
pub const ETH_IRQ: u16 = 42;

#[derive(Clone, Copy)]
struct Irq(u16);

// SAFETY: `Irq` only ever carries ETH_IRQ, a valid interrupt number of this
// chip (the contract of `InterruptNumber`: a valid, constant number).
unsafe impl cortex_m::interrupt::InterruptNumber for Irq {
    fn number(self) -> u16 {
        self.0
    }
}

fn read(addr: usize) -> u32 {
    // SAFETY: every caller passes one of the constant, word-aligned register
    // addresses above; reading them has no effect beyond the documented
    // register semantics (MACDATA pops the RX FIFO, which the driver expects).
    unsafe { ptr::read_volatile(addr as *const u32) }
}

fn write(addr: usize, value: u32) {
    // SAFETY: as for `read`: constant, aligned device registers, never RAM
    // that Rust code owns.
    unsafe { ptr::write_volatile(addr as *mut u32, value) }
}

/// Read a MAC register.
pub fn mac_read(reg: Mac) -> u32 {
    read(ENET + reg as usize)
}

/// Write a MAC register.
pub fn mac_write(reg: Mac, value: u32) {
    write(ENET + reg as usize, value)
}

/// Clock UART0, GPIO A and the Ethernet MAC/PHY, and switch UART0 on.
/// (Real hardware also needs PA0/PA1 in their UART function and a baud
/// rate; QEMU's model needs neither.)
pub fn enable_peripherals() {
    write(SYSCTL_RCGC1, read(SYSCTL_RCGC1) | RCGC1_UART0);
    write(
        SYSCTL_RCGC2,
        read(SYSCTL_RCGC2) | RCGC2_GPIOA | RCGC2_EMAC0 | RCGC2_EPHY0,
    );
    write(UART0 + UART_CTL, UART_CTL_ON);
}

/// Send one byte on UART0, waiting while its FIFO is full.
pub fn uart_put(byte: u8) {
    while read(UART0 + UART_FR) & UART_FR_TXFF != 0 {}
    write(UART0 + UART_DR, u32::from(byte));
}

/// Let the Ethernet interrupt through the NVIC and enable interrupts.
pub fn enable_eth_irq() {
    // SAFETY: the Ethernet handler (`interrupts::DefaultHandler`) only
    // acknowledges the MAC's RX flag, and (feature `async`) touches the RX
    // waker cell, which thread code only uses inside
    // `cortex_m::interrupt::free`; unmasking it cannot break a critical section.
    unsafe { cortex_m::peripheral::NVIC::unmask(Irq(ETH_IRQ)) };
    // SAFETY: no code of this firmware relies on interrupts staying
    // disabled outside `cortex_m::interrupt::free`.
    unsafe { cortex_m::interrupt::enable() };
}

/// ARM semihosting operation number of the exit.
const SYS_EXIT: u32 = 0x18;
/// `ADP_Stopped_ApplicationExit` (QEMU exits 0) and `ADP_Stopped_RunTimeErrorUnknown` (exits 1).
const ADP_EXIT_OK: u32 = 0x20026;
const ADP_EXIT_ERROR: u32 = 0x20023;

/// End the program through semihosting: QEMU exits with status 0 when `ok`,
/// 1 otherwise. Without a debugger or semihosting, parks the core.
pub fn exit(ok: bool) -> ! {
    #[cfg(feature = "stack-report")]
    report_stack();
    let reason = if ok { ADP_EXIT_OK } else { ADP_EXIT_ERROR };
    // SAFETY: SYS_EXIT takes the reason code in r1 (32-bit ARM) and touches
    // no memory; `bkpt 0xab` is the semihosting trap on M-profile cores.
    unsafe {
        core::arch::asm!("bkpt #0xab", inout("r0") SYS_EXIT => _, in("r1") reason, options(nostack));
    }
    loop {
        cortex_m::asm::wfi();
    }
}

/// The M-profile semihosting trap (`bkpt 0xab`), for
/// `smolsock_firmware::semihosting` (command line, stderr lines).
#[derive(Debug, Clone, Copy)]
pub struct Bkpt;

impl smolsock_firmware::semihosting::Trap for Bkpt {
    unsafe fn trap(op: usize, param: *mut u8) -> isize {
        let r: usize;
        // SAFETY: `bkpt 0xab` is the semihosting trap on M-profile cores:
        // the operation in r0, its parameter in r1, the result in r0; the
        // caller vouches for what `param` points to.
        unsafe {
            core::arch::asm!("bkpt #0xab", inout("r0") op => r, in("r1") param, options(nostack));
        }
        r as isize
    }
}

/// Poll the tasks of `executor` that were woken (`async_hw::run`'s loop).
#[cfg(feature = "async")]
pub fn poll_executor(executor: &'static embassy_executor::raw::Executor) {
    // SAFETY: `poll` must not be called reentrantly. Its only caller is
    // `async_hw::run`'s loop in thread mode, which never returns into
    // itself; the pender (`interrupts`) only sets a flag and never polls, and no
    // interrupt handler of this firmware polls.
    unsafe { executor.poll() }
}

/// Stack use measurement (feature `stack-report`): paint the free RAM
/// between the end of the statics and the stack pointer, later find how far
/// the stack reached into it.
#[cfg(feature = "stack-report")]
pub mod stack {
    const PAINT: u32 = 0x5AC3_5AC3;

    extern "C" {
        /// cortex-m-rt: first free address after .bss/.uninit.
        static mut __sheap: u32;
        /// cortex-m-rt: initial stack pointer (top of RAM).
        static _stack_start: u32;
    }

    fn bounds() -> (usize, usize) {
        // Only the addresses of the linker symbols are taken (safe code).
        (
            core::ptr::addr_of!(__sheap) as usize,
            core::ptr::addr_of!(_stack_start) as usize,
        )
    }

    /// Paint from the end of the statics to 256 bytes below the current SP.
    pub fn paint() {
        let (low, _) = bounds();
        let sp = cortex_m::register::msp::read() as usize - 256;
        let mut p = low;
        while p < sp {
            // SAFETY: [low, sp) is RAM that no static owns and that the
            // stack has not reached yet (it grows down from above sp).
            unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
            p += 4;
        }
    }

    /// Bytes of stack used so far at most (since `paint`).
    pub fn peak() -> usize {
        let (low, top) = bounds();
        let mut p = low;
        // SAFETY: reads of RAM between the statics and the top of the stack.
        while p < top && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
            p += 4;
        }
        top - p
    }
}

#[cfg(feature = "stack-report")]
fn report_stack() {
    let peak = stack::peak() as u32;
    let digits = &mut [0; 10];
    smolsock_firmware::semihosting::write_line::<Bkpt>(&[
        b"firmware: peak stack use ",
        smolsock_firmware::out::decimal(peak, digits),
        b" bytes",
    ]);
}
