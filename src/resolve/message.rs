//! DNS messages, pure: a query for one name and type, and what a reply to it
//! says (RFC 1035 §4). No I/O, so every case is unit-tested.

use crate::error::ResolveError;
use smoltcp::wire::{
    DnsFlags, DnsOpcode, DnsPacket, DnsQueryType, DnsQuestion, DnsRcode, DnsRecord, DnsRecordData,
    DnsRepr, IpAddress,
};

pub(crate) use crate::resources::DNS_MAX_QUERY as MAX_QUERY;
pub(crate) use crate::resources::DNS_MAX_REPLY as MAX_REPLY;

/// How many addresses one resolution keeps (of each record type's answers
/// and of all together); more are dropped, as a small stack needs no more.
pub const MAX_ADDRESSES: usize = 4;

/// The addresses a name resolved to, in the order they are to be tried (see
/// [`Stack::resolve_all`](crate::Stack::resolve_all)): a fixed-capacity list, no heap.
///
/// ```
/// use smolsock::{Addresses, MAX_ADDRESSES};
/// use smolsock::smoltcp::wire::IpAddress;
///
/// let mut list = Addresses::new();
/// for last in 1..=5 {
///     let _ = list.push(IpAddress::v4(10, 0, 0, last)); // the fifth does not fit
/// }
/// assert_eq!(list.len(), MAX_ADDRESSES);
/// ```
pub type Addresses = heapless::Vec<IpAddress, MAX_ADDRESSES>;

/// Longest encoded name (RFC 1035: 255 octets).
pub const MAX_NAME: usize = 255;

/// `name` as DNS labels (`www.example.com` → `3www7example3com0`) into
/// `out`; the encoded length. A trailing dot is allowed.
pub fn encode_name(name: &str, out: &mut [u8; MAX_NAME]) -> Result<usize, ResolveError> {
    let name = name.strip_suffix('.').unwrap_or(name);
    let mut at = 0;
    for label in name.split('.') {
        let len = label.len();
        let bad = |b: u8| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if len == 0 || len > 63 || label.bytes().any(bad) {
            return Err(ResolveError::InvalidName);
        }
        let end = at + 1 + len;
        // One more octet for the root label.
        let dst = out.get_mut(at..end).filter(|_| end < MAX_NAME);
        let Some((head, rest)) = dst.and_then(|d| d.split_first_mut()) else {
            return Err(ResolveError::InvalidName);
        };
        *head = len as u8;
        rest.copy_from_slice(label.as_bytes());
        at = end;
    }
    let root = out.get_mut(at).ok_or(ResolveError::InvalidName)?;
    *root = 0;
    Ok(at + 1)
}

/// A query with transaction `id` for the encoded `name` into `out`; its length.
pub fn query(id: u16, name: &[u8], ty: DnsQueryType, out: &mut [u8; MAX_QUERY]) -> Option<usize> {
    let repr = DnsRepr {
        transaction_id: id,
        opcode: DnsOpcode::Query,
        flags: DnsFlags::RECURSION_DESIRED,
        question: DnsQuestion { name, type_: ty },
    };
    let len = repr.buffer_len();
    let buf = out.get_mut(..len)?;
    repr.emit(&mut DnsPacket::new_unchecked(buf));
    Some(len)
}

/// What a datagram from the server says about the query (`id`, `ty`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Not a reply to this query (another id, not a response): ignore it.
    Unrelated,
    /// The addresses of the asked type, in the answer's order (at least
    /// one, at most [`MAX_ADDRESSES`]).
    Addresses(Addresses),
    /// No such name (NXDOMAIN), or the name has no address of this type.
    NotFound,
    /// The server failed (SERVFAIL, REFUSED, …) or sent something unreadable.
    Failed(ResolveError),
}

/// Read a reply to the query (`id`, `ty`).
pub fn parse_reply(data: &[u8], id: u16, ty: DnsQueryType) -> Reply {
    let Ok(p) = DnsPacket::new_checked(data) else {
        return Reply::Failed(ResolveError::BadResponse);
    };
    if p.transaction_id() != id || !p.flags().contains(DnsFlags::RESPONSE) {
        return Reply::Unrelated;
    }
    // Without EDNS a server answers in at most 512 bytes over UDP (RFC 1035
    // §4.2.1) and sets TC when the answer does not fit (RFC 2181 §9).
    if data.len() > MAX_REPLY {
        return Reply::Failed(ResolveError::BadResponse);
    }
    if p.flags().contains(DnsFlags::TRUNCATED) {
        return Reply::Failed(ResolveError::Truncated);
    }
    match p.rcode() {
        DnsRcode::NoError => {}
        DnsRcode::NXDomain => return Reply::NotFound,
        _ => return Reply::Failed(ResolveError::ServerFailure),
    }
    if p.opcode() != DnsOpcode::Query || p.question_count() != 1 {
        return Reply::Failed(ResolveError::BadResponse);
    }
    let Ok((mut rest, q)) = DnsQuestion::parse(p.payload()) else {
        return Reply::Failed(ResolveError::BadResponse);
    };
    if q.type_ != ty {
        return Reply::Failed(ResolveError::BadResponse);
    }
    // A recursive server answers with the CNAME chain and then the
    // addresses: those of the asked type, in order, are the answer.
    let mut found = Addresses::new();
    for _ in 0..p.answer_record_count() {
        let Ok((next, record)) = DnsRecord::parse(rest) else {
            return Reply::Failed(ResolveError::BadResponse);
        };
        rest = next;
        let ip: IpAddress = match record.data {
            #[cfg(feature = "proto-ipv4")]
            DnsRecordData::A(a) if ty == DnsQueryType::A => a.into(),
            #[cfg(feature = "proto-ipv6")]
            DnsRecordData::Aaaa(a) if ty == DnsQueryType::Aaaa => a.into(),
            _ => continue,
        };
        // Beyond the capacity, the rest are dropped.
        let _ = found.push(ip);
    }
    if found.is_empty() {
        Reply::NotFound
    } else {
        Reply::Addresses(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(name: &str) -> Result<([u8; MAX_NAME], usize), ResolveError> {
        let mut out = [0; MAX_NAME];
        encode_name(name, &mut out).map(|n| (out, n))
    }

    #[test]
    fn names_encode_as_labels() {
        let (out, n) = encoded("www.example.com.").expect("valid");
        assert_eq!(&out[..n], b"\x03www\x07example\x03com\x00");
        for bad in ["", ".", "a..b", "a b", "a/b", "ü.de"] {
            assert_eq!(
                encoded(bad).err(),
                Some(ResolveError::InvalidName),
                "{bad:?}"
            );
        }
        let label63 = "a".repeat(63);
        assert!(encoded(&label63).is_ok());
        assert_eq!(
            encoded(&"a".repeat(64)).err(),
            Some(ResolveError::InvalidName)
        );
        // 4 labels of 63 = 256 octets encoded: one too many.
        let long = [label63.as_str(); 4].join(".");
        assert_eq!(encoded(&long).err(), Some(ResolveError::InvalidName));
        let fits = [&label63[..], &label63[..], &label63[..], &label63[..61]].join(".");
        assert_eq!(encoded(&fits).map(|(_, n)| n), Ok(255));
    }

    /// A reply for `example.com` A with `rcode` and these answers.
    fn reply(id: u16, rcode: u8, answers: &[(u16, &[u8])]) -> std::vec::Vec<u8> {
        let mut v = std::vec::Vec::new();
        v.extend_from_slice(&id.to_be_bytes());
        v.extend_from_slice(&[0x81, 0x80 | rcode]);
        v.extend_from_slice(&[0, 1, 0, answers.len() as u8, 0, 0, 0, 0]);
        v.extend_from_slice(b"\x07example\x03com\x00\x00\x01\x00\x01");
        for (ty, data) in answers {
            v.extend_from_slice(&[0xc0, 0x0c]);
            v.extend_from_slice(&ty.to_be_bytes());
            v.extend_from_slice(&[0, 1, 0, 0, 0, 60, 0, data.len() as u8]);
            v.extend_from_slice(data);
        }
        v
    }

    /// A reply of one address.
    #[cfg(feature = "proto-ipv4")]
    fn one(ip: IpAddress) -> Reply {
        Reply::Addresses(core::iter::once(ip).collect())
    }

    #[cfg(feature = "proto-ipv4")]
    #[test]
    fn replies_say_what_happened() {
        let a = DnsQueryType::A;
        let cname: &[u8] = b"\x03www\xc0\x0c";
        let ok = reply(7, 0, &[(5, cname), (1, &[10, 0, 0, 9])]);
        assert_eq!(parse_reply(&ok, 7, a), one(IpAddress::v4(10, 0, 0, 9)));
        // Several answers, in order, up to the capacity.
        let ips: [&[u8]; 5] = [
            &[10, 0, 0, 1],
            &[10, 0, 0, 2],
            &[10, 0, 0, 3],
            &[10, 0, 0, 4],
            &[10, 0, 0, 5],
        ];
        let two = reply(7, 0, &[(5, cname), (1, ips[1]), (1, ips[0])]);
        let want: Addresses = [IpAddress::v4(10, 0, 0, 2), IpAddress::v4(10, 0, 0, 1)]
            .into_iter()
            .collect();
        assert_eq!(parse_reply(&two, 7, a), Reply::Addresses(want));
        let five: std::vec::Vec<(u16, &[u8])> = ips.iter().map(|ip| (1, *ip)).collect();
        let Reply::Addresses(kept) = parse_reply(&reply(7, 0, &five), 7, a) else {
            panic!("addresses")
        };
        assert_eq!(kept.len(), MAX_ADDRESSES);
        assert_eq!(kept.last(), Some(&IpAddress::v4(10, 0, 0, 4)));
        assert_eq!(parse_reply(&ok, 8, a), Reply::Unrelated, "other id");
        assert_eq!(parse_reply(&reply(7, 3, &[]), 7, a), Reply::NotFound);
        assert_eq!(parse_reply(&reply(7, 0, &[]), 7, a), Reply::NotFound);
        assert_eq!(
            parse_reply(&reply(7, 2, &[]), 7, a),
            Reply::Failed(ResolveError::ServerFailure)
        );
        assert_eq!(
            parse_reply(&reply(7, 5, &[]), 7, a),
            Reply::Failed(ResolveError::ServerFailure)
        );
        assert_eq!(
            parse_reply(b"garbage", 7, a),
            Reply::Failed(ResolveError::BadResponse)
        );
        // A record cut short, and a count that promises more than is there.
        let mut cut = ok.clone();
        cut.truncate(ok.len() - 2);
        assert_eq!(
            parse_reply(&cut, 7, a),
            Reply::Failed(ResolveError::BadResponse)
        );
        let mut more = reply(7, 0, &[]);
        more[7] = 3;
        assert_eq!(
            parse_reply(&more, 7, a),
            Reply::Failed(ResolveError::BadResponse)
        );
    }

    /// Issue 18 (7): a reply with the TC bit was read as it was (a cut
    /// answer, or NotFound); one over 512 bytes went unread and the lookup
    /// timed out. Each is now its own error.
    #[cfg(feature = "proto-ipv4")]
    #[test]
    fn truncated_and_oversized_replies_are_errors() {
        let a = DnsQueryType::A;
        let mut tc = reply(7, 0, &[(1, &[10, 0, 0, 9])]);
        tc[2] |= 0x02;
        assert_eq!(
            parse_reply(&tc, 7, a),
            Reply::Failed(ResolveError::Truncated)
        );
        // 512 bytes is a classic reply; 513 is more than was asked for.
        let mut big = reply(7, 0, &[(1, &[10, 0, 0, 9])]);
        big.resize(512, 0);
        assert_eq!(parse_reply(&big, 7, a), one(IpAddress::v4(10, 0, 0, 9)));
        big.push(0);
        assert_eq!(
            parse_reply(&big, 7, a),
            Reply::Failed(ResolveError::BadResponse)
        );
        // Another query's reply is ignored whatever its size.
        assert_eq!(parse_reply(&big, 8, a), Reply::Unrelated);
    }

    #[test]
    fn queries_are_well_formed() {
        let (name, n) = encoded("example.com").expect("valid");
        let mut out = [0; MAX_QUERY];
        let len = query(0x1234, &name[..n], DnsQueryType::Aaaa, &mut out).expect("fits");
        assert_eq!(
            &out[..len],
            b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x1c\x00\x01"
        );
    }
}
