//! Line framing against a model: the same bytes, split into arbitrary chunks,
//! must give exactly the frames a simple whole-input model predicts
//! (src/line/framing's documented rules), and the framer must always make
//! progress.
//!
//! Input: byte 0 picks the line limit (1..=64 of a 64-byte framer), byte 1
//! seeds the chunk sizes; the rest is the byte stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smolsock_fuzz::framing::{model, run_framer, Chunker};

fuzz_target!(|data: &[u8]| {
    let [limit, seed, stream @ ..] = data else {
        return;
    };
    let limit = usize::from(*limit % 64) + 1;
    let want = model(stream, limit);
    let got = run_framer::<64>(stream, limit, Chunker::new(*seed));
    assert_eq!(got, want, "limit {limit}, input {stream:?}");
    // Byte at a time and all at once agree too.
    assert_eq!(run_framer::<64>(stream, limit, Chunker::fixed(1)), want);
    assert_eq!(
        run_framer::<64>(stream, limit, Chunker::fixed(usize::MAX)),
        want
    );
});
