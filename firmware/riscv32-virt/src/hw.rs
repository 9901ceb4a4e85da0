//! The `unsafe` operations of the firmware besides the virtio driver's
//! buffer lending (`net`): the start-up code and the trap vector, the
//! memory-mapped devices of QEMU's `virt` machine the firmware uses (the
//! 16550 UART, the SiFive test device, the CLINT timer, the PLIC, a virtio
//! MMIO slot's interrupt status), the machine-mode CSRs, the RISC-V
//! semihosting trap, and a take-once cell for `'static` state. This file
//! imports nothing of the crate.
//!
//! Addresses: QEMU's `hw/riscv/virt.c` (`virt_memmap`).
#![allow(unsafe_code)]

use core::cell::UnsafeCell;
use core::ptr;
use core::sync::atomic::{AtomicBool, Ordering};

/// The 16550 UART: transmit holding register and line status register.
const UART: usize = 0x1000_0000;
const UART_THR: usize = 0;
const UART_LSR: usize = 5;
const LSR_THRE: u8 = 1 << 5;

/// The SiFive test device: a write ends QEMU.
const TEST: usize = 0x10_0000;
const TEST_PASS: u32 = 0x5555;
const TEST_FAIL: u32 = 0x3333;

/// The CLINT: `mtime` and hart 0's `mtimecmp` (64-bit each), 10 MHz.
const MTIME: usize = 0x0200_BFF8;
const MTIMECMP0: usize = 0x0200_4000;

/// The PLIC: source priorities, hart 0 M-mode context's enable bits,
/// threshold and claim/complete register.
const PLIC: usize = 0x0C00_0000;
const PLIC_ENABLE0: usize = PLIC + 0x2000;
const PLIC_THRESHOLD0: usize = PLIC + 0x20_0000;
const PLIC_CLAIM0: usize = PLIC + 0x20_0004;

/// The eight virtio MMIO slots: slot `i` at `VIRTIO_BASE + i * VIRTIO_SIZE`,
/// its interrupt is PLIC source `i + 1`.
pub const VIRTIO_BASE: usize = 0x1000_1000;
/// Bytes per virtio MMIO slot.
pub const VIRTIO_SIZE: usize = 0x1000;
/// Virtio MMIO slots on `virt`.
pub const VIRTIO_SLOTS: usize = 8;
/// The MMIO transport's InterruptStatus register (offset).
const VIRTIO_INTERRUPT_STATUS: usize = 0x60;

/// `mie` bits: machine timer and machine external interrupts.
const MIE_MTIE: usize = 1 << 7;
const MIE_MEIE: usize = 1 << 11;

// Start-up: stack, .bss zeroed, trap vector, then `main` (the program's
// `#[export_name = "main"]` function). Interrupts stay globally disabled
// (mstatus.MIE = 0): `wfi` still returns on a pending enabled interrupt, and
// no handler runs. The trap vector catches exceptions only.
core::arch::global_asm!(
    ".section .text.start, \"ax\"",
    ".global _start",
    "_start:",
    "    la sp, __stack_top",
    "    la t0, __bss_start",
    "    la t1, __bss_end",
    "1:  bgeu t0, t1, 2f",
    "    sw zero, 0(t0)",
    "    addi t0, t0, 4",
    "    j 1b",
    "2:  la t0, _trap_entry",
    "    csrw mtvec, t0",
    "    call main",
    "3:  j 3b",
    ".balign 4",
    "_trap_entry:",
    "    la sp, __stack_top",
    "    j {on_trap}",
    on_trap = sym on_trap,
);

/// Any exception (an illegal instruction, a bad access): one error line and
/// a failing exit.
extern "C" fn on_trap() -> ! {
    let cause: usize;
    // SAFETY: reading `mcause` has no side effect.
    unsafe { core::arch::asm!("csrr {0}, mcause", out(reg) cause) };
    let digit = [b'0' + (cause % 10) as u8];
    fatal(&[b"trap, mcause ", &digit])
}

/// One `error: ...` line (its parts one after the other) and a failing
/// exit, for what happens below the programs (a trap, the DMA pool).
pub fn fatal(parts: &[&[u8]]) -> ! {
    for part in [b"error: ".as_slice()].iter().chain(parts) {
        for &b in *part {
            uart_put(b);
        }
    }
    uart_put(b'\n');
    exit(false)
}

fn read32(addr: usize) -> u32 {
    // SAFETY: every caller passes one of the constant, aligned device
    // register addresses above (never RAM that Rust code owns).
    unsafe { ptr::read_volatile(addr as *const u32) }
}

fn write32(addr: usize, value: u32) {
    // SAFETY: as for `read32`.
    unsafe { ptr::write_volatile(addr as *mut u32, value) }
}

/// Send one byte on the UART, waiting while its holding register is full.
pub fn uart_put(byte: u8) {
    // SAFETY: the 16550's byte registers at their constant addresses.
    unsafe {
        while ptr::read_volatile((UART + UART_LSR) as *const u8) & LSR_THRE == 0 {}
        ptr::write_volatile((UART + UART_THR) as *mut u8, byte);
    }
}

/// End QEMU through the SiFive test device: exit status 0 when `ok`, 1
/// otherwise.
pub fn exit(ok: bool) -> ! {
    write32(TEST, if ok { TEST_PASS } else { (1 << 16) | TEST_FAIL });
    loop {
        wfi();
    }
}

/// `mtime`: 10 MHz ticks since reset (read high, low, high: no torn value).
pub fn mtime() -> u64 {
    loop {
        let hi = read32(MTIME + 4);
        let lo = read32(MTIME);
        if read32(MTIME + 4) == hi {
            return (u64::from(hi) << 32) | u64::from(lo);
        }
    }
}

/// Set hart 0's timer compare: the timer interrupt is pending from `at`
/// (in `mtime` ticks) on. Written high word first at its maximum so that
/// no earlier value is ever compared.
pub fn set_mtimecmp(at: u64) {
    write32(MTIMECMP0 + 4, u32::MAX);
    write32(MTIMECMP0, at as u32);
    write32(MTIMECMP0 + 4, (at >> 32) as u32);
}

/// Route PLIC source `irq` to hart 0's M-mode context, and let the timer
/// and external interrupts end `wfi` (`mie`; they are never taken as traps:
/// `mstatus.MIE` stays 0).
pub fn enable_wakeups(irq: u32) {
    write32(PLIC + 4 * irq as usize, 1);
    let word = PLIC_ENABLE0 + 4 * (irq as usize / 32);
    write32(word, read32(word) | 1 << (irq % 32));
    write32(PLIC_THRESHOLD0, 0);
    // SAFETY: setting `mie` bits with `mstatus.MIE` clear takes no trap; it
    // only lets those interrupts end `wfi`.
    unsafe { core::arch::asm!("csrs mie, {0}", in(reg) MIE_MTIE | MIE_MEIE) };
}

/// Claim and complete whatever the PLIC holds for hart 0 (after `wfi`: the
/// device's own status is what the driver reads).
pub fn plic_settle() {
    let irq = read32(PLIC_CLAIM0);
    if irq != 0 {
        write32(PLIC_CLAIM0, irq);
    }
}

/// The InterruptStatus register of virtio MMIO slot `slot`: non-zero while
/// the device has signalled (a used buffer) and the driver has not acked.
pub fn virtio_interrupt_status(slot: usize) -> u32 {
    read32(VIRTIO_BASE + slot * VIRTIO_SIZE + VIRTIO_INTERRUPT_STATUS)
}

/// Wait for an interrupt (returns at once if one is pending and enabled).
pub fn wfi() {
    // SAFETY: `wfi` only waits.
    unsafe { core::arch::asm!("wfi", options(nomem, nostack)) };
}

/// The RISC-V semihosting trap (`slli`/`ebreak`/`srai`), for
/// `smolsock_firmware::semihosting` (command line, stderr lines).
#[derive(Debug, Clone, Copy)]
pub struct Ebreak;

impl smolsock_firmware::semihosting::Trap for Ebreak {
    unsafe fn trap(op: usize, param: *mut u8) -> isize {
        let r: isize;
        // SAFETY: the semihosting sequence (uncompressed, in one aligned
        // group, as QEMU recognises it): the operation in a0, its parameter
        // in a1, the result in a0; the caller vouches for what `param`
        // points to.
        unsafe {
            core::arch::asm!(
                ".option push",
                ".option norvc",
                ".balign 16",
                "slli zero, zero, 0x1f",
                "ebreak",
                "srai zero, zero, 0x7",
                ".option pop",
                inout("a0") op => r,
                in("a1") param,
                options(nostack),
            );
        }
        r
    }
}

/// A `'static` value handed out once as `&'static mut` (the firmware's
/// device, clock, pools and buffers, without a heap).
pub struct Once<T> {
    taken: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reachable only through the one `&'static mut` that
// `take` hands out (guarded by the atomic flag).
unsafe impl<T> Sync for Once<T> {}

impl<T> Once<T> {
    /// A cell holding `value`.
    pub const fn new(value: T) -> Self {
        Once {
            taken: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// The value, the first time; `None` after.
    // The one `&mut` from a shared `&'static self` is unique: the flag
    // hands it out once (what `static_cell::StaticCell` does).
    #[allow(clippy::mut_from_ref)]
    pub fn take(&'static self) -> Option<&'static mut T> {
        if self.taken.swap(true, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: the flag was clear: no other reference was ever made.
        Some(unsafe { &mut *self.value.get() })
    }
}
