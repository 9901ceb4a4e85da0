//! The semihosting requests the programs make — the command line, a line
//! on the host's stderr — written once for every architecture: a board
//! supplies only its trap instruction ([`Trap`]). QEMU answers them with
//! `-semihosting-config enable=on`.
#![allow(unsafe_code)]

/// SYS_WRITE0: write a NUL-terminated string to the host's console (QEMU: stderr).
const SYS_WRITE0: usize = 0x04;
/// SYS_GET_CMDLINE: the command line into a buffer.
const SYS_GET_CMDLINE: usize = 0x15;

/// An architecture's semihosting trap (ARM: `bkpt 0xab`; RISC-V: the
/// `slli`/`ebreak`/`srai` sequence).
pub trait Trap {
    /// Make request `op` with parameter `param`; the host's result.
    ///
    /// # Safety
    ///
    /// `param` points to what `op` expects (a parameter block, a string),
    /// valid for the call and for the host's writes the request describes.
    unsafe fn trap(op: usize, param: *mut u8) -> isize;
}

/// The host's command line (QEMU: the kernel file name, then `-append`'s
/// text) into `buf`; its length, or `None` if the host refused (QEMU does
/// when it is longer than `buf`).
pub fn cmdline<T: Trap>(buf: &mut [u8]) -> Option<usize> {
    // The parameter block, in target words: buffer address and size in,
    // length out.
    let mut block: [usize; 2] = [buf.as_mut_ptr() as usize, buf.len()];
    // SAFETY: SYS_GET_CMDLINE writes at most block[1] bytes to block[0],
    // which is `buf` (exclusively borrowed here), then the length into
    // block[1]; both live until the trap returns.
    let r = unsafe { T::trap(SYS_GET_CMDLINE, block.as_mut_ptr().cast()) };
    let n = block[1];
    (r == 0 && n <= buf.len()).then_some(n)
}

/// Write one line made of `parts` (cut at 95 bytes) to the host's stderr.
pub fn write_line<T: Trap>(parts: &[&[u8]]) {
    let mut text = [0u8; 96];
    let line = c_line(parts, &mut text);
    // SAFETY: SYS_WRITE0 only reads the NUL-terminated string at `line`
    // (`c_line` leaves a NUL after it), which lives for the call.
    unsafe { T::trap(SYS_WRITE0, line.as_ptr().cast_mut()) };
}

/// `parts` and a newline as one NUL-terminated string in `buf` (cut at 95
/// bytes), for a semihosting SYS_WRITE0: the bytes up to the NUL.
///
/// ```
/// let mut buf = [0; 96];
/// assert_eq!(smolsock_firmware::semihosting::c_line(&[b"a", b"b"], &mut buf), b"ab\n");
/// assert_eq!(buf[3], 0);
/// ```
pub fn c_line<'b>(parts: &[&[u8]], buf: &'b mut [u8; 96]) -> &'b [u8] {
    buf.fill(0);
    let mut len = 0;
    for &b in parts.iter().flat_map(|p| p.iter()).chain(b"\n") {
        if len + 1 < buf.len() {
            buf[len] = b;
            len += 1;
        }
    }
    buf.get(..len).unwrap_or_default()
}
