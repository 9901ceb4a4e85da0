//! `http://host[:port]/path?query` (and `https://`), parsed without allocating.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The port an `http://` URL without one talks to.
pub const DEFAULT_PORT: u16 = 80;
/// The port an `https://` URL without one talks to.
pub const DEFAULT_HTTPS_PORT: u16 = 443;

/// A URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `http://`: plain TCP.
    Http,
    /// `https://`: TLS over TCP (fetched only with the `tls` feature, through
    /// `Client::get_raw_tls`).
    Https,
}

impl Scheme {
    /// The port a URL of this scheme without one talks to (80 or 443).
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => DEFAULT_PORT,
            Scheme::Https => DEFAULT_HTTPS_PORT,
        }
    }
}

/// Why a URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UrlError {
    /// No `scheme://` at the start.
    MissingScheme,
    /// A scheme other than `http://` and `https://` (e.g. `ftp://`).
    UnsupportedScheme,
    /// `user:password@` in the URL.
    UserInfo,
    /// Nothing between `http://` and the path.
    MissingHost,
    /// The host is neither a valid name, nor an IPv4 address, nor a `[...]` IPv6 address.
    InvalidHost,
    /// The port is not a number in 1..=65535.
    InvalidPort,
    /// The path or query holds a space, a control character or a non-ASCII byte
    /// (they must be percent-encoded).
    InvalidPath,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlError::MissingScheme => "missing scheme (expected http://host/path)",
            UrlError::UnsupportedScheme => {
                "unsupported scheme: only http:// and https:// URLs are supported"
            }
            UrlError::UserInfo => "user name or password in the URL is not supported",
            UrlError::MissingHost => "missing host",
            UrlError::InvalidHost => "invalid host (expected a name, an IPv4 address or [IPv6])",
            UrlError::InvalidPort => "invalid port (expected 1-65535)",
            UrlError::InvalidPath => {
                "invalid character in path or query (spaces, control and non-ASCII characters must be percent-encoded)"
            }
        })
    }
}

impl core::error::Error for UrlError {}

/// A parsed `http://` or `https://` URL, borrowing the text it came from.
///
/// ```
/// use smolsock::http::Url;
/// let url = Url::parse("http://[::1]:8080/index.html?lang=en#top")?;
/// assert_eq!(url.host(), "::1");
/// assert_eq!(url.port(), 8080);
/// assert_eq!(url.path(), "/index.html");
/// assert_eq!(url.query(), Some("lang=en"));
/// assert!(url.ip().is_some());
/// # Ok::<(), smolsock::http::UrlError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Url<'u> {
    scheme: Scheme,
    host: &'u str,
    port: Option<u16>,
    path: &'u str,
    query: Option<&'u str>,
    ip: Option<IpAddr>,
}

impl<'u> Url<'u> {
    /// Parse `http://host[:port][/path][?query][#fragment]` (or `https://`).
    /// The scheme is case-insensitive; the fragment is dropped (it is never
    /// sent).
    pub fn parse(text: &'u str) -> Result<Self, UrlError> {
        let (scheme, rest) = text.split_once("://").ok_or(UrlError::MissingScheme)?;
        if scheme.is_empty()
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return Err(UrlError::MissingScheme);
        }
        let scheme = if scheme.eq_ignore_ascii_case("http") {
            Scheme::Http
        } else if scheme.eq_ignore_ascii_case("https") {
            Scheme::Https
        } else {
            return Err(UrlError::UnsupportedScheme);
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, rest) = rest.split_at(end);
        let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        if !path
            .bytes()
            .chain(query.unwrap_or("").bytes())
            .all(|b| b.is_ascii_graphic())
        {
            return Err(UrlError::InvalidPath);
        }
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        let (host, port, ip) = split_authority(authority)?;
        Ok(Url {
            scheme,
            host,
            port,
            path,
            query,
            ip,
        })
    }

    /// `http://` or `https://`.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host as written, without the brackets of an IPv6 literal.
    pub fn host(&self) -> &'u str {
        self.host
    }

    /// The port (80, or 443 for `https://`, when the URL names none).
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(self.scheme.default_port())
    }

    /// The path as written; empty when the URL has none (the request then asks for `/`).
    pub fn path(&self) -> &'u str {
        self.path
    }

    /// The query, without its `?`.
    pub fn query(&self) -> Option<&'u str> {
        self.query
    }

    /// The address when the host is an IP literal (no name resolution needed).
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// What the request line asks for: the path (`/` if empty) and `?query`.
    ///
    /// ```
    /// use smolsock::http::Url;
    /// let url = Url::parse("http://example.com?q=1")?;
    /// let mut s = heapless::String::<32>::new();
    /// core::fmt::write(&mut s, format_args!("{}", url.target())).unwrap();
    /// assert_eq!(s, "/?q=1");
    /// # Ok::<(), smolsock::http::UrlError>(())
    /// ```
    pub fn target(&self) -> impl fmt::Display + 'u {
        Target {
            path: self.path,
            query: self.query,
        }
    }

    /// The `Host` header's value: the host (IPv6 in brackets), and `:port`
    /// unless the port is the scheme's default (80, or 443 for `https://`).
    ///
    /// ```
    /// use smolsock::http::Url;
    /// let url = Url::parse("http://[::1]:8080/")?;
    /// let mut s = heapless::String::<32>::new();
    /// core::fmt::write(&mut s, format_args!("{}", url.host_header())).unwrap();
    /// assert_eq!(s, "[::1]:8080");
    /// # Ok::<(), smolsock::http::UrlError>(())
    /// ```
    pub fn host_header(&self) -> impl fmt::Display + 'u {
        HostHeader {
            host: self.host,
            v6: matches!(self.ip, Some(IpAddr::V6(_))),
            port: self.port.filter(|p| *p != self.scheme.default_port()),
        }
    }
}

struct Target<'u> {
    path: &'u str,
    query: Option<&'u str>,
}

impl fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.path.is_empty() { "/" } else { self.path })?;
        if let Some(q) = self.query {
            write!(f, "?{q}")?;
        }
        Ok(())
    }
}

struct HostHeader<'u> {
    host: &'u str,
    v6: bool,
    port: Option<u16>,
}

impl fmt::Display for HostHeader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.v6 {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(self.host)?;
        }
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

type Authority<'u> = (&'u str, Option<u16>, Option<IpAddr>);

/// `host[:port]` or `[v6][:port]`.
fn split_authority(authority: &str) -> Result<Authority<'_>, UrlError> {
    if authority.is_empty() {
        return Err(UrlError::MissingHost);
    }
    if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or(UrlError::InvalidHost)?;
        let ip: Ipv6Addr = inside.parse().map_err(|_| UrlError::InvalidHost)?;
        let port = match after {
            "" => None,
            p => parse_port(p.strip_prefix(':').ok_or(UrlError::InvalidHost)?)?,
        };
        return Ok((inside, port, Some(IpAddr::V6(ip))));
    }
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, parse_port(p)?),
        None => (authority, None),
    };
    if host.is_empty() {
        return Err(UrlError::MissingHost);
    }
    // All digits and dots: it must be an IPv4 address, not a name.
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let ip: Ipv4Addr = host.parse().map_err(|_| UrlError::InvalidHost)?;
        return Ok((host, port, Some(IpAddr::V4(ip))));
    }
    if !valid_name(host) {
        return Err(UrlError::InvalidHost);
    }
    Ok((host, port, None))
}

/// A port after `:`; empty means the default (RFC 3986).
fn parse_port(p: &str) -> Result<Option<u16>, UrlError> {
    if p.is_empty() {
        return Ok(None);
    }
    if p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlError::InvalidPort);
    }
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(UrlError::InvalidPort),
        Ok(n) => Ok(Some(n)),
    }
}

/// A DNS name: labels of letters, digits, `-` and `_`, 1-63 bytes each, 253 in all.
fn valid_name(host: &str) -> bool {
    let name = host.strip_suffix('.').unwrap_or(host);
    name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    fn show(d: impl fmt::Display) -> heapless::String<256> {
        let mut s = heapless::String::new();
        write!(s, "{d}").unwrap();
        s
    }

    #[test]
    fn names_ports_paths() {
        let u = Url::parse("http://www.yahoo.com/").unwrap();
        assert_eq!(
            (u.host(), u.port(), u.path(), u.query()),
            ("www.yahoo.com", 80, "/", None)
        );
        assert_eq!(u.ip(), None);
        assert_eq!(show(u.host_header()), "www.yahoo.com");
        assert_eq!(show(u.target()), "/");

        let u = Url::parse("HTTP://Example.COM:8080/a/b.txt?x=1&y=%20#frag").unwrap();
        assert_eq!(u.host(), "Example.COM");
        assert_eq!(u.port(), 8080);
        assert_eq!(show(u.target()), "/a/b.txt?x=1&y=%20");
        assert_eq!(show(u.host_header()), "Example.COM:8080");

        // No path, query without path, explicit default port, empty port.
        assert_eq!(show(Url::parse("http://h").unwrap().target()), "/");
        assert_eq!(show(Url::parse("http://h?q").unwrap().target()), "/?q");
        assert_eq!(show(Url::parse("http://h#f").unwrap().target()), "/");
        assert_eq!(show(Url::parse("http://h:80/").unwrap().host_header()), "h");
        assert_eq!(Url::parse("http://h:/").unwrap().port(), 80);
        assert_eq!(Url::parse("http://h:65535/").unwrap().port(), 65535);
        assert_eq!(
            Url::parse("http://my_host.local./").unwrap().host(),
            "my_host.local."
        );
    }

    #[test]
    fn ip_literals() {
        let u = Url::parse("http://192.168.69.1:8000/x").unwrap();
        assert_eq!(u.ip(), Some(IpAddr::V4(Ipv4Addr::new(192, 168, 69, 1))));
        assert_eq!(show(u.host_header()), "192.168.69.1:8000");

        let u = Url::parse("http://[fe80::1]/").unwrap();
        assert_eq!(u.host(), "fe80::1");
        assert_eq!(u.port(), 80);
        assert!(matches!(u.ip(), Some(IpAddr::V6(_))));
        assert_eq!(show(u.host_header()), "[fe80::1]");
        assert_eq!(
            show(Url::parse("http://[::1]:81").unwrap().host_header()),
            "[::1]:81"
        );
    }

    #[test]
    fn errors() {
        use UrlError::*;
        let cases: &[(&str, UrlError)] = &[
            ("ftps://example.com/", UnsupportedScheme),
            ("ftp://example.com/", UnsupportedScheme),
            ("example.com/index.html", MissingScheme),
            ("", MissingScheme),
            ("://x/", MissingScheme),
            ("http:///path", MissingHost),
            ("http://:80/", MissingHost),
            ("http://user:pw@host/", UserInfo),
            ("http://ho st/", InvalidHost),
            ("http://host!/", InvalidHost),
            ("http://a..b/", InvalidHost),
            ("http://300.1.1.1/", InvalidHost),
            ("http://1.2.3/", InvalidHost),
            ("http://[::1/", InvalidHost),
            ("http://[::g]/", InvalidHost),
            ("http://[::1]x/", InvalidHost),
            ("http://[127.0.0.1]/", InvalidHost),
            ("http://h:0/", InvalidPort),
            ("http://h:65536/", InvalidPort),
            ("http://h:-1/", InvalidPort),
            ("http://h:8o/", InvalidPort),
            ("http://h:1:2/", InvalidPort),
            ("http://h/a b", InvalidPath),
            ("http://h/a\r\nX: y", InvalidPath),
            ("http://h/caf\u{e9}", InvalidPath),
            ("http://h/?q=\t", InvalidPath),
        ];
        for (text, want) in cases {
            assert_eq!(Url::parse(text), Err(*want), "{text:?}");
        }
        let long = "http://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com/";
        assert_eq!(Url::parse(long), Err(InvalidHost));
    }

    #[test]
    fn https_default_port_443() {
        let u = Url::parse("HTTPS://example.com/x").unwrap();
        assert_eq!((u.scheme(), u.port()), (Scheme::Https, 443));
        assert_eq!(show(u.host_header()), "example.com");
        let u = Url::parse("https://example.com:80/").unwrap();
        assert_eq!(show(u.host_header()), "example.com:80");
        let u = Url::parse("https://example.com:443/").unwrap();
        assert_eq!(show(u.host_header()), "example.com");
        assert_eq!(Url::parse("http://h/").unwrap().scheme(), Scheme::Http);
    }

    #[test]
    fn display_is_one_line() {
        assert!(show(UrlError::UnsupportedScheme).contains("only http:// and https://"));
        assert!(!show(UrlError::InvalidPath).contains('\n'));
    }
}
