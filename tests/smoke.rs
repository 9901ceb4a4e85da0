mod common;
use common::*;

#[test]
fn hello_round_trip() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 10001);
        c.send_all(b"hello\r\n").unwrap();
        let mut buf = [0u8; 64];
        let n = s.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"hello\r\n");
        s.send_all(b"back").unwrap();
        let n = c.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"back");
    });
}
