//! Program output on a board's console, byte for byte, and the end of a
//! program. No `core::fmt`: its machinery costs kilobytes of flash.

/// What a program needs of its board besides the network: a console, a
/// way to end, and the host's command line and stderr (semihosting).
///
/// ```ignore
/// struct MyBoard;
/// impl smolsock_firmware::Board for MyBoard {
///     type Semihosting = hw::Bkpt; // implements semihosting::Trap
///     fn put(byte: u8) { uart::put(byte) }
///     fn exit(ok: bool) -> ! { hw::exit(ok) }
/// }
/// ```
pub trait Board {
    /// The semihosting trap for the command line and the lines on the
    /// host's stderr (`smolsock_firmware::semihosting`).
    type Semihosting: crate::semihosting::Trap;
    /// Send one byte to the console, waiting while it is busy.
    fn put(byte: u8);
    /// End the program: exit status 0 when `ok`, non-zero otherwise (QEMU
    /// exits with it).
    fn exit(ok: bool) -> !;
}

/// Write raw bytes.
pub fn write<B: Board>(bytes: &[u8]) {
    for &b in bytes {
        B::put(b);
    }
}

/// Write raw bytes and a newline.
pub fn line<B: Board>(bytes: &[u8]) {
    write::<B>(bytes);
    B::put(b'\n');
}

/// `n` in decimal, in `digits`.
///
/// ```
/// let mut digits = [0; 10];
/// assert_eq!(smolsock_firmware::out::decimal(4096, &mut digits), b"4096");
/// ```
pub fn decimal(mut n: u32, digits: &mut [u8; 10]) -> &[u8] {
    let mut at = digits.len();
    while at > 0 {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits.get(at..).unwrap_or_default()
}

/// Write a number in decimal.
pub fn number<B: Board>(n: u32) {
    write::<B>(decimal(n, &mut [0; 10]));
}

/// Print `error: <what>` and end with a non-zero exit status.
pub fn fail<B: Board>(what: &[u8]) -> ! {
    write::<B>(b"error: ");
    line::<B>(what);
    B::exit(false)
}

/// Print `error: <context><detail>` and end with a non-zero exit status.
pub fn fail_with<B: Board>(context: &[u8], detail: &[u8]) -> ! {
    write::<B>(b"error: ");
    write::<B>(context);
    line::<B>(detail);
    B::exit(false)
}
