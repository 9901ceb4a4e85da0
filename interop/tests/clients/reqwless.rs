//! A third-party async HTTP client running unchanged on smolsock: reqwless
//! 0.14's `HttpClient` over the stack's embedded-nal-async `TcpConnect` and
//! `Dns`, fetching from an async HTTP/1.1 server (`common::http_async`)
//! on the same loopback stack, in simulated time.
use crate::common;
use common::async_util::async_listener;
use common::http_async::{serve, Seen};
use common::sim_exec::block_on_sim;
use common::*;
use reqwless::client::HttpClient;
use reqwless::request::Method;
use reqwless::response::Status;

/// A body of a few kB that no off-by-one or reordering leaves unchanged.
fn body() -> Vec<u8> {
    (0..5000u32).map(|i| (i * 31 % 251) as u8).collect()
}

fn routes(path: &str) -> Option<Vec<u8>> {
    (path == "/data").then(body)
}

#[track_caller]
fn assert_get(seen: &Seen, path: &str) {
    assert_eq!(seen.request_line, format!("GET {path} HTTP/1.1"));
    assert!(
        seen.headers.iter().any(|h| h == "Host: 127.0.0.1"),
        "reqwless sent its Host header: {:?}",
        seen.headers
    );
}

#[test]
fn reqwless_gets_a_body_and_a_404_from_an_async_server_on_the_same_stack() {
    with_stack::<6, _>(|stack, clock| {
        let listener = async_listener(stack, 8080, 2);
        let server = serve(&listener, &routes, 2);
        let client = async {
            // TcpConnect and Dns are the stack itself.
            let mut http = HttpClient::new(stack, stack);
            let mut rx = [0u8; 8192];

            let mut req = http
                .request(Method::GET, "http://127.0.0.1:8080/data")
                .await
                .expect("connect");
            let resp = req.send(&mut rx).await.expect("response head");
            assert_eq!(resp.status, Status::Ok);
            assert_eq!(resp.content_length, Some(5000));
            let got = resp.body().read_to_end().await.expect("body").to_vec();
            drop(req);

            let mut req = http
                .request(Method::GET, "http://127.0.0.1:8080/missing")
                .await
                .expect("connect");
            let resp = req.send(&mut rx).await.expect("response head");
            assert_eq!(resp.status, Status::NotFound);
            let not_found = resp.body().read_to_end().await.expect("body").to_vec();
            (got, not_found)
        };
        let (seen, (got, not_found)) =
            block_on_sim(stack, clock, async { futures_util::join!(server, client) });
        assert_eq!(got.len(), 5000);
        assert!(got == body(), "the body, byte for byte");
        assert_eq!(not_found, b"not found\n");
        assert_eq!(seen.len(), 2);
        assert_get(&seen[0], "/data");
        assert_get(&seen[1], "/missing");
        // Every connection closed: only the listener holds a slot.
        assert_eq!(stack.stats().unwrap().user, 1);
    });
}

#[test]
fn reqwless_reports_a_refused_connection_as_a_network_error() {
    with_stack::<4, _>(|stack, clock| {
        let r = block_on_sim(stack, clock, async {
            let mut http = HttpClient::new(stack, stack);
            http.request(Method::GET, "http://127.0.0.1:8081/")
                .await
                .err()
        });
        assert!(
            matches!(
                r,
                Some(reqwless::Error::Network(
                    embedded_io::ErrorKind::ConnectionRefused
                ))
            ),
            "{r:?}"
        );
    });
}
