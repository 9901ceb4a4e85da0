//! Program output on UART0 (QEMU's stdout with `-nographic`), byte for byte.
//! No `core::fmt`: its machinery costs kilobytes of flash.

use crate::hw;

/// Write raw bytes.
pub fn write(bytes: &[u8]) {
    for &b in bytes {
        hw::uart_put(b);
    }
}

/// Write raw bytes and a newline.
pub fn line(bytes: &[u8]) {
    write(bytes);
    hw::uart_put(b'\n');
}

/// Write a number in decimal.
pub fn number(mut n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    write(&digits[at..]);
}
