mod common;
use common::sim_exec::block_on_sim;
use common::*;
use smolsock::asynch::AsyncSocket;
use std::time::Duration;

#[test]
fn echo_and_timeout() {
    with_stack::<6, _>(|stack, clock| {
        let server = AsyncSocket::new(stack, Domain::IPV4, Type::STREAM).unwrap();
        server.bind(addr("127.0.0.1:7000")).unwrap();
        server.listen(2).unwrap();
        let client = AsyncSocket::new(stack, Domain::IPV4, Type::STREAM).unwrap();
        block_on_sim(stack, clock, async {
            let (a, c) =
                futures_util::join!(server.accept(), client.connect(addr("127.0.0.1:7000")));
            c.unwrap();
            let (conn, _) = a.unwrap();
            client.send_all(b"hello").await.unwrap();
            let mut buf = [0; 16];
            let n = conn.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"hello");
            conn.set_timeout(Some(Duration::from_secs(2))).unwrap();
            let t0 = clock.now();
            assert_eq!(conn.recv(&mut buf).await, Err(Error::TimedOut));
            assert_eq!((clock.now() - t0).total_millis(), 2000);
            client.shutdown(Shutdown::Write).unwrap();
            conn.set_timeout(None).unwrap();
            assert_eq!(conn.recv(&mut buf).await, Ok(0));
            assert_eq!(conn.recv(&mut buf).await, Ok(0));
        });
    });
}
