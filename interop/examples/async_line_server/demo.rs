//! The loopback demo's clients.

use crate::common::die;
use crate::server::Server;
use smolsock::asynch::AsyncSocket;
use smolsock::{Domain, Error, SockAddr, Type};
use std::time::Duration;

/// How long the loopback demo may take in all before it gives up.
const DEMO_LIMIT: Duration = Duration::from_secs(10);

/// The loopback demo's clients, one script: they connect, send, and take
/// turns so that the output is always the same (each waits until the
/// server has printed what the previous one sent; the server does not
/// know).
#[embassy_executor::task]
pub async fn demo(server: &'static Server, addr: SockAddr) {
    match embassy_time::with_timeout(
        DEMO_LIMIT.try_into().unwrap_or_default(),
        script(server, addr),
    )
    .await
    {
        Ok(Ok(())) => die("the server did not stop after `stop`"),
        Ok(Err(e)) => die(format_args!("demo client: {e}")),
        Err(_) => die(format_args!(
            "the demo did not finish in {DEMO_LIMIT:?} ({} lines printed)",
            server.printed()
        )),
    }
}

async fn send(c: &AsyncSocket<'_, '_>, name: &str, data: Vec<u8>) -> Result<(), Error> {
    match data.get(..60) {
        Some(head) if data.len() > 64 => log::info!(
            "client {name} sends {:?}... ({} bytes)",
            String::from_utf8_lossy(head),
            data.len()
        ),
        _ => log::info!("client {name} sends {:?}", String::from_utf8_lossy(&data)),
    }
    c.send_all(&data).await
}

/// The long line the demo sends: 1,100 bytes, printed as 1,024 + 76.
fn demo_long_line() -> Vec<u8> {
    b"0123456789".repeat(110)
}

async fn script(server: &Server, addr: SockAddr) -> Result<(), Error> {
    let stack = server.stack();
    let client = |name: &'static str| async move {
        let c = AsyncSocket::new(stack, Domain::IPV4, Type::STREAM)?;
        c.connect(addr).await?;
        log::info!("client {name} connected");
        Ok::<_, Error>(c)
    };
    // Until the server has printed `n` lines in all.
    let printed = |n: usize| server.printed_at_least(n);

    let (a, b, c) = futures_util::join!(client("A"), client("B"), client("C"));
    let (a, b, c) = (a?, b?, c?);
    log::info!("A, B and C are served at once, by three session tasks");
    let d = client("D").await?;
    send(&d, "D", b"D waited in the backlog\r\n".to_vec()).await?;
    log::info!("D waits in the backlog: every session is busy");

    send(&a, "A", b"hello from A\r\n".to_vec()).await?;
    printed(1).await;
    send(&b, "B", b"  hello from B  \r\nhalf a li".to_vec()).await?;
    printed(2).await;
    let mut long = demo_long_line();
    long.extend_from_slice(b"\r\n");
    send(&c, "C", long).await?;
    printed(4).await;
    send(&b, "B", b"ne\r\n".to_vec()).await?;
    printed(5).await;
    send(&a, "A", b"disconnect\r\n".to_vec()).await?;
    let mut buf = [0u8; 16];
    let n = a.recv(&mut buf).await?;
    log::info!("client A: the server closed the connection (recv gave {n})");
    // A's session task takes D from the backlog.
    printed(7).await;
    send(&b, "B", b"no newline at the end".to_vec()).await?;
    b.shutdown(smolsock::Shutdown::Write)?;
    printed(9).await;
    log::info!("client D closes");
    d.close()?;
    printed(10).await;
    send(&c, "C", b"bye\r\nstop\r\n".to_vec()).await?;
    // The server exits the program after `stop`.
    printed(12).await;
    core::future::pending().await
}
