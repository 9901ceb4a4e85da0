//! The request the seed meant to send: HTTP/1.0, `\r\n` line ends, a `Host` header.

use super::Url;
use core::fmt;

/// The `User-Agent` the client sends: `smolsock/` and the crate version.
pub const USER_AGENT: &str = concat!("smolsock/", env!("CARGO_PKG_VERSION"));

/// An HTTP/1.0 GET request for a URL; its `Display` is the exact bytes sent:
///
/// ```text
/// GET /path?query HTTP/1.0\r\n
/// Host: host[:port]\r\n
/// User-Agent: smolsock/VERSION\r\n
/// Connection: close\r\n
/// \r\n
/// ```
///
/// ```
/// use smolsock::http::{Request, Url};
/// let url = Url::parse("http://example.com/")?;
/// let mut s = heapless::String::<128>::new();
/// core::fmt::write(&mut s, format_args!("{}", Request::get(&url))).unwrap();
/// assert!(s.starts_with("GET / HTTP/1.0\r\nHost: example.com\r\nUser-Agent: smolsock/"));
/// assert!(s.ends_with("\r\nConnection: close\r\n\r\n"));
/// # Ok::<(), smolsock::http::UrlError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Request<'r, 'u> {
    url: &'r Url<'u>,
}

impl<'r, 'u> Request<'r, 'u> {
    /// The GET request for `url`.
    pub fn get(url: &'r Url<'u>) -> Self {
        Request { url }
    }
}

impl fmt::Display for Request<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: {USER_AGENT}\r\nConnection: close\r\n\r\n",
            self.url.target(),
            self.url.host_header()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    fn bytes(url: &str) -> heapless::String<256> {
        let url = Url::parse(url).unwrap();
        let mut s = heapless::String::new();
        write!(s, "{}", Request::get(&url)).unwrap();
        s
    }

    #[test]
    fn exact_bytes() {
        let ua = concat!("User-Agent: smolsock/", env!("CARGO_PKG_VERSION"), "\r\n");
        let mut want = heapless::String::<256>::new();
        write!(
            want,
            "GET /a?b=c HTTP/1.0\r\nHost: h.test:8080\r\n{ua}Connection: close\r\n\r\n"
        )
        .unwrap();
        assert_eq!(bytes("http://h.test:8080/a?b=c#x"), want);
        assert!(bytes("http://h.test").starts_with("GET / HTTP/1.0\r\nHost: h.test\r\n"));
        assert!(bytes("http://[::1]:80/").starts_with("GET / HTTP/1.0\r\nHost: [::1]\r\n"));
    }
}
