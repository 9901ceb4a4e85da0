//! QEMU's `virtio-net-device` (virtio over MMIO) as a `smoltcp::phy::Device`,
//! on the third-party `virtio-drivers` crate's `VirtIONetRaw`: no
//! allocator, its queues in a static DMA pool ([`StaticHal`]), one receive
//! buffer lent to the device at a time, frames sent from the stack of the
//! `TxToken` consumer (`smolsock_firmware::frame`).
//!
//! The `unsafe` here is the driver's contract: the [`StaticHal`]
//! implementation (identity-mapped memory, M-mode, no IOMMU) and the
//! receive buffer, which this module never touches while the device holds it.
#![allow(unsafe_code)]

use crate::hw;
use core::cell::UnsafeCell;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering};
use smolsock::smoltcp::phy::{self, Device, DeviceCapabilities};
use smolsock::smoltcp::time::Instant;
pub use smolsock_firmware::frame::MTU;
use smolsock_firmware::frame::{self, RxFrame};
use virtio_drivers::device::net::VirtIONetRaw;
use virtio_drivers::transport::mmio::{MmioTransport, VirtIOHeader};
use virtio_drivers::transport::{DeviceType, Transport};
use virtio_drivers::{BufferDirection, Hal, PhysAddr};

/// A receive buffer: the virtio-net header (at most 12 bytes) and a frame;
/// `virtio-drivers` asks for at least 1526 bytes.
pub const RX_LEN: usize = 1526;
/// Descriptors per virtqueue (a power of two): one receive buffer and one
/// frame sent at a time need few.
const QUEUE: usize = 4;
const PAGE: usize = 4096;
/// Pages of DMA memory: two queues of two pages each (`VirtQueue`'s layout).
const POOL_PAGES: usize = 4;

#[repr(C, align(4096))]
struct Pool(UnsafeCell<[u8; POOL_PAGES * PAGE]>);

// SAFETY: the pool's pages are handed out once each (`NEXT` only grows) to
// the driver, which is the only user of its memory.
unsafe impl Sync for Pool {}

/// Zeroed at start-up (in .bss), never given back: the driver lives as long
/// as the program.
static POOL: Pool = Pool(UnsafeCell::new([0; POOL_PAGES * PAGE]));
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// `virtio-drivers`' platform interface: DMA memory from a static pool,
/// physical address = address (M-mode, no MMU, no IOMMU).
pub struct StaticHal;

// SAFETY: `dma_alloc` hands out zeroed, page-aligned, never-reused pages of
// a static; `share` gives the device the buffer's own address, which is its
// physical address here; nothing needs copying back on `unshare`.
unsafe impl Hal for StaticHal {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        let first = NEXT.fetch_add(pages, Ordering::AcqRel);
        if first.saturating_add(pages) > POOL_PAGES {
            hw::fatal(&[b"virtio DMA pool exhausted"]);
        }
        let base = POOL.0.get().cast::<u8>();
        // `first * PAGE` is inside the pool (checked above).
        let Some(ptr) = NonNull::new(base.wrapping_add(first * PAGE)) else {
            hw::fatal(&[b"virtio DMA pool at address 0"])
        };
        (ptr.as_ptr() as usize as PhysAddr, ptr)
    }

    unsafe fn dma_dealloc(_paddr: PhysAddr, _vaddr: NonNull<u8>, _pages: usize) -> i32 {
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, _size: usize) -> NonNull<u8> {
        match NonNull::new(paddr as usize as *mut u8) {
            Some(p) => p,
            None => hw::fatal(&[b"virtio MMIO at address 0"]),
        }
    }

    unsafe fn share(buffer: NonNull<[u8]>, _direction: BufferDirection) -> PhysAddr {
        buffer.as_ptr().cast::<u8>() as usize as PhysAddr
    }

    unsafe fn unshare(_paddr: PhysAddr, _buffer: NonNull<[u8]>, _direction: BufferDirection) {}
}

type Driver = VirtIONetRaw<StaticHal, MmioTransport<'static>, QUEUE>;

/// What went through the device.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counters {
    /// Frames received and handed to the stack.
    pub rx: u32,
    /// Frames sent.
    pub tx: u32,
    /// Frames the driver refused to send.
    pub tx_errors: u32,
}

/// The virtio network device.
pub struct Net {
    driver: Driver,
    slot: usize,
    rx: &'static mut [u8; RX_LEN],
    /// The receive request the device holds `rx` for.
    lent: Option<u16>,
    /// What went through.
    pub counters: Counters,
}

/// Why no network device came up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetError {
    /// No virtio MMIO slot holds a network device (`-device virtio-net-device` missing).
    NoDevice,
    /// The driver could not set the device up.
    Init,
}

impl Net {
    /// Find the first virtio network device among the `virt` machine's MMIO
    /// slots, set it up with `rx` as its receive buffer, and let its
    /// interrupt (and the timer's) end `wfi`.
    pub fn find(rx: &'static mut [u8; RX_LEN]) -> Result<Net, NetError> {
        for slot in 0..hw::VIRTIO_SLOTS {
            let addr = hw::VIRTIO_BASE + slot * hw::VIRTIO_SIZE;
            let Some(header) = NonNull::new(addr as *mut VirtIOHeader) else {
                continue;
            };
            // SAFETY: `addr` is a virtio MMIO slot of QEMU's `virt` machine,
            // VIRTIO_SIZE long, used by nothing else for the program's life.
            let Ok(transport) = (unsafe { MmioTransport::new(header, hw::VIRTIO_SIZE) }) else {
                continue; // an empty slot (device id 0)
            };
            if transport.device_type() != DeviceType::Network {
                continue;
            }
            let mut driver = Driver::new(transport).map_err(|_| NetError::Init)?;
            driver.enable_interrupts();
            hw::enable_wakeups(slot as u32 + 1);
            return Ok(Net {
                driver,
                slot,
                rx,
                lent: None,
                counters: Counters::default(),
            });
        }
        Err(NetError::NoDevice)
    }

    /// The device's MAC address.
    pub fn mac_address(&self) -> [u8; 6] {
        self.driver.mac_address()
    }

    /// The MMIO slot the device sits in (its wake-up test: [`frame_may_wait`]).
    pub fn slot(&self) -> usize {
        self.slot
    }
}

/// True if the device in `slot` has signalled since the driver last
/// acknowledged (a frame may wait): the clock's idle hook asks.
pub fn frame_may_wait(slot: usize) -> bool {
    hw::virtio_interrupt_status(slot) != 0
}

/// Room to send one frame.
pub struct TxToken<'a> {
    driver: &'a mut Driver,
    counters: &'a mut Counters,
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        // The driver adds the virtio-net header and waits for the device.
        frame::build_and_send(len, f, |frame| match self.driver.send(frame) {
            Ok(()) => self.counters.tx += 1,
            Err(_) => self.counters.tx_errors += 1,
        })
    }
}

impl Device for Net {
    type RxToken<'a> = RxFrame<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(RxFrame<'_>, TxToken<'_>)> {
        // Acknowledge first: a frame that lands after the look below raises
        // the status again, and the idle hook sees it.
        self.driver.ack_interrupt();
        let token = match self.lent {
            Some(t) => t,
            None => {
                // SAFETY: `rx` is not touched until `receive_complete`
                // returns it (`lent` says the device holds it).
                let t = unsafe { self.driver.receive_begin(self.rx.as_mut_slice()) }.ok()?;
                self.lent = Some(t);
                t
            }
        };
        if self.driver.poll_receive() != Some(token) {
            return None;
        }
        self.lent = None;
        // SAFETY: the same buffer that `receive_begin` lent for `token`.
        let (header, len) =
            unsafe { self.driver.receive_complete(token, self.rx.as_mut_slice()) }.ok()?;
        let Net {
            driver,
            rx,
            counters,
            ..
        } = self;
        let frame = rx.get(header..header.checked_add(len)?)?;
        counters.rx += 1;
        Some((RxFrame(frame), TxToken { driver, counters }))
    }

    fn transmit(&mut self, _now: Instant) -> Option<TxToken<'_>> {
        self.driver.can_send().then_some(TxToken {
            driver: &mut self.driver,
            counters: &mut self.counters,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        frame::ethernet_capabilities()
    }
}
