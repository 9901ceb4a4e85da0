//! URL parsing: never panics; an accepted URL gives a well-formed request
//! (exactly the request's own line breaks: no header injection) and
//! round-trips through its `Host` header and target; a refused one has a
//! one-line message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smolsock::http::{Request, Scheme, Url};
use std::net::IpAddr;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let url = match Url::parse(text) {
        Ok(u) => u,
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.is_empty() && !msg.contains(['\r', '\n']));
            return;
        }
    };
    let (host, path, query) = (url.host(), url.path(), url.query());
    assert!(!host.is_empty());
    assert!(url.port() >= 1);
    assert!(path
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'?' && b != b'#'));
    if let Some(q) = query {
        assert!(q.bytes().all(|b| b.is_ascii_graphic() && b != b'#'));
    }
    match url.ip() {
        Some(ip) => assert_eq!(host.parse::<IpAddr>().ok(), Some(ip), "{text:?}"),
        None => {
            assert!(host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
            assert!(!host.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
        }
    }

    // The request: exactly its own five line ends, no others.
    let target = url.target().to_string();
    let host_header = url.host_header().to_string();
    let req = Request::get(&url).to_string();
    let lines: Vec<&str> = req.split("\r\n").collect();
    assert_eq!(lines.len(), 6, "{req:?}");
    assert_eq!(lines[0], format!("GET {target} HTTP/1.0"));
    assert_eq!(lines[1], format!("Host: {host_header}"));
    assert!(lines[2].starts_with("User-Agent: "));
    assert_eq!(&lines[3..], ["Connection: close", "", ""]);
    assert!(!req.replace("\r\n", "").contains(['\r', '\n']));
    assert_eq!(lines[0].matches(' ').count(), 2, "{req:?}");
    assert!(target.starts_with('/'));

    // Round trip through what goes on the wire.
    let scheme = match url.scheme() {
        Scheme::Http => "http",
        Scheme::Https => "https",
    };
    let again = format!("{scheme}://{host_header}{target}");
    let u2 = Url::parse(&again).unwrap_or_else(|e| panic!("{again:?} from {text:?}: {e}"));
    assert_eq!(
        (u2.host(), u2.port(), u2.ip(), u2.query()),
        (host, url.port(), url.ip(), query),
        "{again:?} from {text:?}"
    );
    assert_eq!(u2.target().to_string(), target);
    assert_eq!(u2.host_header().to_string(), host_header);
    assert_eq!(u2.scheme(), url.scheme());
});
