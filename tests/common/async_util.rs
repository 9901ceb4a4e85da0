//! Shared helpers of the async tests: stream sockets, listeners and
//! connected pairs of `AsyncSocket`s on a loopback stack.

use super::{addr, Domain, Stack, Type};
use smolsock::asynch::AsyncSocket;

/// A new async TCP (IPv4) socket.
#[track_caller]
pub fn stream<'s, 'a>(stack: &'s Stack<'a>) -> AsyncSocket<'s, 'a> {
    AsyncSocket::new(stack, Domain::IPV4, Type::STREAM).expect("tcp socket")
}

/// An async listener at `at` (IPv4 or IPv6), its backlog `backlog` granted
/// in full.
#[track_caller]
pub fn async_listener_at<'s, 'a>(
    stack: &'s Stack<'a>,
    at: &str,
    backlog: usize,
) -> AsyncSocket<'s, 'a> {
    let a = addr(at);
    let l = AsyncSocket::new(stack, Domain::for_address(a), Type::STREAM).expect("tcp socket");
    l.bind(a).expect("bind");
    assert_eq!(l.listen(backlog), Ok(backlog));
    l
}

/// An async listener on 127.0.0.1:`port`, its backlog `backlog` granted in full.
#[track_caller]
pub fn async_listener<'s, 'a>(
    stack: &'s Stack<'a>,
    port: u16,
    backlog: usize,
) -> AsyncSocket<'s, 'a> {
    async_listener_at(stack, &format!("127.0.0.1:{port}"), backlog)
}

/// Connect a new client to `l` (on 127.0.0.1:`port`) and accept it:
/// (client, server side); the accepted peer is the client.
pub async fn connect_pair<'s, 'a>(
    l: &AsyncSocket<'s, 'a>,
    port: u16,
) -> (AsyncSocket<'s, 'a>, AsyncSocket<'s, 'a>) {
    let c = stream(l.stack());
    let (a, r) =
        futures_util::future::join(l.accept(), c.connect(addr(&format!("127.0.0.1:{port}")))).await;
    r.expect("connect");
    let (s, peer) = a.expect("accept");
    assert_eq!(peer, c.local_addr().unwrap());
    (c, s)
}
