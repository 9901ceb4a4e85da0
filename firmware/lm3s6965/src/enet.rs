//! A `smoltcp::phy::Device` for the LM3S6965's Ethernet MAC (QEMU's
//! `stellaris` NIC model). Safe code: register access goes through [`hw`].
//!
//! How the MAC moves frames (one 32-bit word at a time through MACDATA):
//! - **TX**: the first word holds the frame's data length (the frame minus
//!   its 14-byte Ethernet header) in its low half and the first two frame
//!   bytes in its high half; the rest of the frame follows, little-endian, in
//!   whole words. Writing NEWTX to MACTR sends it; the MAC pads short frames
//!   (PADEN) and appends the CRC (CRC).
//! - **RX**: MACNP counts waiting frames. The first word of a frame holds its
//!   FIFO length (frame + 2-byte length + 4-byte CRC) in its low half and the
//!   first two frame bytes in its high half; reading MACDATA pops words until
//!   that length is consumed. MACRIS.RXINT raises the Ethernet interrupt.

use crate::hw::{self, Mac};
use smolsock::smoltcp::phy::{self, Device, DeviceCapabilities};
use smolsock::smoltcp::time::Instant;
pub use smolsock_firmware::frame::MTU;
use smolsock_firmware::frame::{self, RxFrame};
const HEADER: usize = 14;
/// FIFO bytes around a received frame: its length half-word and the CRC.
const RX_OVERHEAD: usize = 6;

const INT_RX: u32 = 1 << 0;
const INT_ALL: u32 = 0x7F;
const RCTL_RXEN: u32 = 1 << 0;
const RCTL_AMUL: u32 = 1 << 1;
const RCTL_BADCRC: u32 = 1 << 3;
const RCTL_RSTFIFO: u32 = 1 << 4;
const TCTL_TXEN: u32 = 1 << 0;
const TCTL_PADEN: u32 = 1 << 1;
const TCTL_CRC: u32 = 1 << 2;
const TCTL_DUPLEX: u32 = 1 << 3;
const TR_NEWTX: u32 = 1 << 0;
/// TX threshold off: a frame goes out only when NEWTX is written.
const THR_OFF: u32 = 0x3F;

/// What went through the MAC.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counters {
    /// Frames received and handed to the stack.
    pub rx: u32,
    /// Frames sent.
    pub tx: u32,
    /// Received frames dropped (too long, or shorter than a header).
    pub rx_dropped: u32,
}

/// The MAC, with a receive buffer the caller provides (a zeroed `static`,
/// so it costs no flash and no stack temporary); frames to send are built
/// on the stack of the `TxToken` consumer.
pub struct Enet {
    rx: &'static mut [u8; MTU],
    /// What went through.
    pub counters: Counters,
}

impl Enet {
    /// Reset the MAC's FIFOs, enable RX and TX and the RX interrupt.
    /// The MAC address is QEMU's (or the board's) in MACIA0/MACIA1.
    pub fn new(rx: &'static mut [u8; MTU]) -> Self {
        hw::mac_write(Mac::Im, 0);
        hw::mac_write(Mac::Ris, INT_ALL);
        hw::mac_write(Mac::Rctl, RCTL_RSTFIFO);
        hw::mac_write(Mac::Thr, THR_OFF);
        hw::mac_write(Mac::Tctl, TCTL_TXEN | TCTL_PADEN | TCTL_CRC | TCTL_DUPLEX);
        hw::mac_write(Mac::Rctl, RCTL_RXEN | RCTL_AMUL | RCTL_BADCRC);
        hw::mac_write(Mac::Im, INT_RX);
        Enet {
            rx,
            counters: Counters::default(),
        }
    }

    /// The MAC address the controller holds.
    pub fn mac_address(&self) -> [u8; 6] {
        let a = hw::mac_read(Mac::Ia0).to_le_bytes();
        let b = hw::mac_read(Mac::Ia1).to_le_bytes();
        [a[0], a[1], a[2], a[3], b[0], b[1]]
    }

    /// Read the next frame out of the RX FIFO into `self.rx`; its length,
    /// or `None` if it was dropped (it is consumed either way).
    fn pop_frame(&mut self) -> Option<usize> {
        let first = hw::mac_read(Mac::Data);
        let fifo_len = (first & 0xFFFF) as usize;
        let words = fifo_len.div_ceil(4);
        let len = fifo_len.saturating_sub(RX_OVERHEAD);
        let keep = (HEADER..=MTU).contains(&len);
        if keep {
            let [_, _, b0, b1] = first.to_le_bytes();
            self.rx[0] = b0;
            self.rx[1] = b1;
        }
        // Frame bytes 2.. come in the following words; the CRC after them.
        for w in 1..words {
            let word = hw::mac_read(Mac::Data).to_le_bytes();
            if !keep {
                continue;
            }
            let at = 4 * w - 2;
            if let Some(dst) = self.rx.get_mut(at..len.min(at + 4)) {
                let n = dst.len();
                dst.copy_from_slice(&word[..n]);
            }
        }
        if keep {
            self.counters.rx += 1;
            Some(len)
        } else {
            self.counters.rx_dropped += 1;
            None
        }
    }
}

/// True if a received frame waits in the MAC (the clock's idle hook asks).
pub fn frame_waiting() -> bool {
    hw::mac_read(Mac::Np) != 0
}

/// Acknowledge the RX interrupt (the interrupt handler's whole job: the
/// main loop reads the frames).
pub fn ack_rx_interrupt() {
    hw::mac_write(Mac::Ris, INT_RX);
}

fn tx_idle() -> bool {
    hw::mac_read(Mac::Tr) & TR_NEWTX == 0
}

/// Room to send one frame.
pub struct TxToken<'a> {
    counters: &'a mut Counters,
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        frame::build_and_send(len, f, |frame| {
            if frame.len() >= HEADER {
                send(frame);
                self.counters.tx += 1;
            }
        })
    }
}

/// Push one frame (at least a header long) into the TX FIFO and start it.
fn send(frame: &[u8]) {
    let [b0, b1, rest @ ..] = frame else {
        return;
    };
    // `transmit` only hands out a token when the MAC is idle: no wait here
    // unless a frame was started since.
    while !tx_idle() {}
    let data_len = frame.len().saturating_sub(HEADER) as u32;
    hw::mac_write(
        Mac::Data,
        data_len | u32::from(*b0) << 16 | u32::from(*b1) << 24,
    );
    let mut words = rest.chunks_exact(4);
    for w in &mut words {
        if let [a, b, c, d] = *w {
            hw::mac_write(Mac::Data, u32::from_le_bytes([a, b, c, d]));
        }
    }
    let mut last = [0u8; 4];
    let tail = words.remainder();
    if let Some(dst) = last.get_mut(..tail.len()).filter(|d| !d.is_empty()) {
        dst.copy_from_slice(tail);
        hw::mac_write(Mac::Data, u32::from_le_bytes(last));
    }
    hw::mac_write(Mac::Tr, TR_NEWTX);
}

impl Device for Enet {
    type RxToken<'a> = RxFrame<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(RxFrame<'_>, TxToken<'_>)> {
        while frame_waiting() {
            if let Some(len) = self.pop_frame() {
                let Enet { rx, counters } = self;
                let frame = rx.get(..len)?;
                return Some((RxFrame(frame), TxToken { counters }));
            }
        }
        None
    }

    fn transmit(&mut self, _now: Instant) -> Option<TxToken<'_>> {
        tx_idle().then_some(TxToken {
            counters: &mut self.counters,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        frame::ethernet_capabilities()
    }
}
