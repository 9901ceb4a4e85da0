//! A small async HTTP/1.1 server written with `AsyncSocket`, for tests of
//! async HTTP clients on the same loopback stack: one request per
//! connection, `Content-Length` bodies, `Connection: close`.

use smolsock::asynch::AsyncSocket;
use smolsock::{Error, Shutdown};

/// What the server saw of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The request line, e.g. `GET /data HTTP/1.1`.
    pub request_line: String,
    /// The header lines, as sent.
    pub headers: Vec<String>,
}

/// The body for `path` (`None`: 404).
pub type Routes<'r> = &'r dyn Fn(&str) -> Option<Vec<u8>>;

/// Serve `conns` connections accepted on `listener`, one request each:
/// `200 OK` with the route's body, or `404 Not Found`; then close.
pub async fn serve(listener: &AsyncSocket<'_, '_>, routes: Routes<'_>, conns: usize) -> Vec<Seen> {
    let mut seen = Vec::new();
    for _ in 0..conns {
        let (conn, _) = listener.accept().await.expect("accept");
        seen.push(serve_one(&conn, routes).await.expect("serve one request"));
        conn.close().expect("close");
    }
    seen
}

async fn serve_one(conn: &AsyncSocket<'_, '_>, routes: Routes<'_>) -> Result<Seen, Error> {
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.recv(&mut buf).await?;
        assert!(n > 0, "end of stream inside the request head");
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8(head).expect("an ASCII request head");
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let request_line = lines.next().expect("a request line").to_string();
    let headers = lines.map(str::to_string).collect();
    let path = request_line.split(' ').nth(1).unwrap_or("/");
    let (status, body) = match routes(path) {
        Some(b) => ("200 OK", b),
        None => ("404 Not Found", b"not found\n".to_vec()),
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.send_all(reply.as_bytes()).await?;
    conn.send_all(&body).await?;
    conn.shutdown(Shutdown::Write)?;
    Ok(Seen {
        request_line,
        headers,
    })
}
