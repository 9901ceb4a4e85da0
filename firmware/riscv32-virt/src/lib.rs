//! smolsock on QEMU's riscv32 `virt` machine in M-mode (`-bios none`),
//! with a `virtio-net-device` over MMIO driven by the third-party
//! `virtio-drivers` crate: the board support for the programs in
//! `src/bin/`, whose mains are `smolsock-firmware`'s (shared with the
//! LM3S6965).
//!
//! - [`hw`]: start-up, trap vector, device registers, CSRs, semihosting, a
//!   take-once cell: the firmware's `unsafe` code, with [`net`]'s
//!   driver contract.
//! - [`net`]: `virtio-drivers`' `VirtIONetRaw` as a `smoltcp::phy::Device`.
//! - [`clock`]: the CLINT's `mtime` as a `smolsock::Clock`; `idle` sleeps in
//!   `wfi` until the deadline or the device's interrupt.
//! - [`board`]: bring-up, failure and exit, and [`board::Virt`].
#![no_std]
#![deny(unsafe_code)]

pub mod board;
pub mod clock;
pub mod hw;
pub mod net;
