//! Figure 5: memory. What a user pays per socket slot beyond its two
//! buffers, and the stack's size in the examples' configuration.
//!
//! The per-slot cost is measured from the outside, as a user sees it:
//! `size_of::<StackResources<2, B>>() - size_of::<StackResources<1, B>>()`
//! (the UDP-capable count, the third parameter, held fixed) minus the two
//! `B`-byte buffers: `slot_total_overhead_bytes`, everything a TCP slot
//! costs beyond its buffers. That is smoltcp's `SocketStorage` (which holds
//! the smoltcp socket itself, inline) plus smolsock's own slot bookkeeping;
//! the latter is `slot_overhead_bytes` (the internal `Slot` type is not
//! public, so it is what remains after subtracting `SocketStorage`). UDP
//! packet metadata is paid per UDP-capable slot only (the third parameter
//! `UDP`; its default, every slot, keeps older programs unchanged).

use crate::report::Report;
use smolsock::{Stack, StackResources, UDP_PACKETS};
use smoltcp::iface::SocketStorage;
use smoltcp::socket::{tcp, udp};
use std::mem::size_of;

const SECTION: &str = "5. Memory";
const B: usize = 1024;

fn per_slot<const N1: usize, const N2: usize>() -> usize {
    let diff = size_of::<StackResources<'static, N2, B, 2>>()
        - size_of::<StackResources<'static, N1, B, 2>>();
    diff / (N2 - N1)
}

/// What one more UDP-capable slot costs (the slot count held fixed).
fn per_udp_slot() -> usize {
    size_of::<StackResources<'static, 4, B, 3>>() - size_of::<StackResources<'static, 4, B, 2>>()
}

pub fn run(report: &mut Report) {
    let meta = 2 * UDP_PACKETS * size_of::<udp::PacketMetadata>();
    // Two differences, so alignment padding shows if it matters.
    let a = per_slot::<1, 2>();
    let b = per_slot::<2, 10>();
    let beyond_bufs = a.max(b) - 2 * B;
    let storage = size_of::<SocketStorage<'static>>();
    let slot = beyond_bufs - storage;
    let udp = per_udp_slot();
    println!(
        "[memory] per slot: {a} B (N 1->2), {b} B (N 2->10), {B}-byte buffers; \
         SocketStorage {storage} B, tcp::Socket {} B; per UDP-capable slot {udp} B \
         (UDP metadata {meta} B; by default every slot is UDP-capable)",
        size_of::<tcp::Socket<'static>>()
    );
    report.result(
        SECTION,
        "slot_overhead_bytes",
        "smolsock bookkeeping per slot (beyond buffers and SocketStorage)",
        slot as f64,
        "bytes",
    );
    report.extra(
        SECTION,
        "smoltcp SocketStorage per slot (holds the smoltcp socket)",
        storage as f64,
        "bytes",
    );
    report.result(
        SECTION,
        "slot_total_overhead_bytes",
        "everything a TCP slot costs beyond its two buffers, UDP-capable count fixed (target <= 600)",
        beyond_bufs as f64,
        "bytes",
    );
    report.extra(
        SECTION,
        "UDP packet metadata per UDP-capable slot (2 x UDP_PACKETS; default: every slot)",
        udp as f64,
        "bytes",
    );
    let stack = size_of::<Stack<'static>>();
    let res = size_of::<StackResources<'static, 16, 8192>>();
    report.result(
        SECTION,
        "stack_bytes",
        "Stack + StackResources<16, 8192> (examples' configuration)",
        (stack + res) as f64,
        "bytes",
    );
    report.extra(SECTION, "of which Stack", stack as f64, "bytes");
    report.extra(
        SECTION,
        "of which non-buffer StackResources",
        (res - 16 * 2 * 8192) as f64,
        "bytes",
    );
}
