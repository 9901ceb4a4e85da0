//! The HTTP response parser: however the response is split into chunks, the
//! outcome (head, body bytes, or error) is the same; a parsed head is what
//! `httparse` says about the same bytes, and the body is exactly the bytes
//! after it.
//!
//! Input: byte 0 picks the head buffer (256 or 4096 bytes), byte 1 seeds the
//! chunk sizes; the rest is the response.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smolsock_fuzz::framing::Chunker;
use smolsock_fuzz::response::{outcome, reference};

fuzz_target!(|data: &[u8]| {
    let [size, seed, resp @ ..] = data else {
        return;
    };
    if size & 1 == 0 {
        check::<256>(resp, *seed);
    } else {
        check::<4096>(resp, *seed);
    }
});

fn check<const N: usize>(resp: &[u8], seed: u8) {
    let whole = outcome::<N>(resp, Chunker::fixed(usize::MAX));
    let chunked = outcome::<N>(resp, Chunker::new(seed));
    let bytewise = outcome::<N>(resp, Chunker::fixed(1));
    assert_eq!(chunked, whole, "chunked vs whole: {resp:?}");
    assert_eq!(bytewise, whole, "byte-wise vs whole: {resp:?}");
    reference::<N>(resp, &whole);
}
