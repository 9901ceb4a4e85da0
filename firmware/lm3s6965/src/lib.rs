//! smolsock on a TI Stellaris LM3S6965 (Cortex-M3), as QEMU's
//! `lm3s6965evb` machine emulates it: the board support the programs in `src/bin/`
//! share (the mains themselves are `smolsock-firmware`'s, shared with the
//! other boards).
//!
//! - [`hw`]: the register file: registers, the NVIC line, semihosting (the
//!   firmware's `unsafe` code, with [`interrupts`]' handler declarations).
//! - [`interrupts`]: the vector table, the interrupt, exception and panic
//!   handlers and the executor's pender: the top of the crate's imports.
//! - [`enet`]: the Ethernet MAC as a `smoltcp::phy::Device`.
//! - [`clock`]: SysTick at 1 ms as a `smolsock::Clock`; `idle` sleeps in `WFI`.
//! - [`board`]: bring-up, failure and exit, and [`board::Lm3s`], the
//!   board the shared programs (`smolsock-firmware`) print on (UART0, QEMU's
//!   stdout with `-nographic`) and exit through.
//! - `async_hw` (feature `async`): SysTick as a `smolsock::asynch::Timer`,
//!   the RX interrupt as a `DeviceReady`, and an executor loop that idles in `WFI`.
#![no_std]
#![deny(unsafe_code)]

#[cfg(feature = "async")]
pub mod async_hw;
pub mod board;
pub mod clock;
pub mod enet;
pub mod hw;
pub mod interrupts;
