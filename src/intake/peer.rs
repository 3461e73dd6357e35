//! [`Peer`]: who sent a delivery, as the intake counts shares — the
//! address the socket sees, or behind proxies the user trusts the address
//! they forward ([`PeerFrom`]).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use http::HeaderName;

use crate::Headers;

/// The sender of a delivery, as the intake's per-peer shares count it: an
/// IPv4 address, or an IPv6 address's /64 network (one subscriber's
/// allocation: counting single IPv6 addresses would let one sender use a
/// share per address). An IPv4-mapped IPv6 address counts as its IPv4
/// address.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer(IpAddr);

impl Peer {
    /// The peer of address `ip`.
    pub fn new(ip: IpAddr) -> Self {
        Peer(match ip {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
            },
        })
    }

    /// The address counted: the IPv4 address, or the IPv6 /64 network's
    /// first address.
    pub fn ip(&self) -> IpAddr {
        self.0
    }
}

impl From<IpAddr> for Peer {
    fn from(ip: IpAddr) -> Self {
        Peer::new(ip)
    }
}

impl From<SocketAddr> for Peer {
    fn from(addr: SocketAddr) -> Self {
        Peer::new(addr.ip())
    }
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "Peer({v4})"),
            IpAddr::V6(v6) => write!(f, "Peer({v6}/64)"),
        }
    }
}

/// An address range in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or one
/// address): a proxy the intake may trust ([`PeerFrom::forwarded`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// Whether `ip` is in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = Peer::unmapped(ip);
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(ip).into(), 32, self.prefix) == u32::from(net).into()
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(ip), 128, self.prefix) == u128::from(net)
            }
            _ => false,
        }
    }
}

fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    let host = width - prefix;
    (bits >> host) << host
}

impl Peer {
    fn unmapped(ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        }
    }
}

/// Why an [`IpRange`] could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an address or a CIDR range (`10.0.0.0/8`, `fd00::/8`)")]
pub struct IpRangeError(String);

impl FromStr for IpRange {
    type Err = IpRangeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || IpRangeError(text.chars().take(64).collect());
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr = Peer::unmapped(addr.trim().parse::<IpAddr>().map_err(|_| error())?);
        let width = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|&p| p <= width)
                .ok_or_else(error)?,
            None => width,
        };
        let network = match addr {
            IpAddr::V4(v4) => IpAddr::V4((masked(u32::from(v4).into(), 32, prefix) as u32).into()),
            IpAddr::V6(v6) => IpAddr::V6(masked(u128::from(v6), 128, prefix).into()),
        };
        Ok(IpRange { network, prefix })
    }
}

impl From<IpAddr> for IpRange {
    fn from(ip: IpAddr) -> Self {
        let ip = Peer::unmapped(ip);
        IpRange {
            network: ip,
            prefix: if ip.is_ipv4() { 32 } else { 128 },
        }
    }
}

/// Where the intake reads a delivery's [`Peer`] from. Defaults to
/// [`PeerFrom::Socket`]: a header names an address only behind proxies the
/// user names, never by default (anyone can send `X-Forwarded-For`).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum PeerFrom {
    /// The address the socket sees (the adapter's peer address).
    #[default]
    Socket,
    /// Behind trusted proxies: when the socket's address is one of
    /// `proxies`, the peer is the right-most address of `header` (a
    /// comma-separated list such as `X-Forwarded-For`) that is not a
    /// trusted proxy itself; when the header is absent or unreadable, the
    /// proxy's own address. A socket address outside `proxies` is the peer,
    /// whatever the header says.
    Forwarded {
        /// The header the proxies append the client's address to.
        header: HeaderName,
        /// The proxies trusted to write it.
        proxies: Vec<IpRange>,
    },
}

impl PeerFrom {
    /// Trusts `header` when the socket's address is one of `proxies`.
    pub fn forwarded(header: HeaderName, proxies: impl IntoIterator<Item = IpRange>) -> Self {
        PeerFrom::Forwarded {
            header,
            proxies: proxies.into_iter().collect(),
        }
    }

    /// The peer of a request from `socket` carrying `headers`; `None` when
    /// the adapter does not know the socket's address.
    pub(crate) fn resolve<H: Headers + ?Sized>(
        &self,
        socket: Option<IpAddr>,
        headers: &H,
    ) -> Option<Peer> {
        let socket = socket?;
        let PeerFrom::Forwarded { header, proxies } = self else {
            return Some(Peer::new(socket));
        };
        let trusted = |ip: IpAddr| proxies.iter().any(|range| range.contains(ip));
        if !trusted(socket) {
            return Some(Peer::new(socket));
        }
        let forwarded = headers
            .values(header)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .flat_map(|value| value.rsplit(|&b| b == b','))
            .map(|item| {
                std::str::from_utf8(crate::timestamp::trim(item))
                    .ok()?
                    .parse()
                    .ok()
            })
            .find(|ip: &Option<IpAddr>| ip.is_none_or(|ip| !trusted(ip)));
        // An unreadable entry ends the walk: what lies left of it is not
        // known to come from a trusted proxy.
        Some(Peer::new(forwarded.flatten().unwrap_or(socket)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_counts_by_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(
            Peer::new(ip("2001:db8::1")),
            Peer::new(ip("2001:db8::ffff:1"))
        );
        assert_ne!(
            Peer::new(ip("2001:db8::1")),
            Peer::new(ip("2001:db8:0:1::1"))
        );
        assert_eq!(Peer::new(ip("::ffff:10.0.0.1")), Peer::new(ip("10.0.0.1")));
        assert_eq!(
            format!("{:?}", Peer::new(ip("2001:db8::7"))),
            "Peer(2001:db8::/64)"
        );
    }

    #[test]
    fn ranges_parse_and_contain() {
        let r: IpRange = "10.0.0.0/8".parse().unwrap();
        assert!(r.contains(ip("10.200.3.4")));
        assert!(!r.contains(ip("11.0.0.1")));
        assert!(r.contains(ip("::ffff:10.1.1.1")));
        let one: IpRange = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let all: IpRange = "::/0".parse().unwrap();
        assert!(all.contains(ip("2001:db8::1")) && !all.contains(ip("1.2.3.4")));
        for bad in ["10.0.0.0/33", "nope", "1.2.3.4/x", "::/129", ""] {
            assert!(bad.parse::<IpRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_is_read_only_from_trusted_proxies() {
        let from = PeerFrom::forwarded(
            HeaderName::from_static("x-forwarded-for"),
            ["10.0.0.0/8".parse().unwrap()],
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "6.6.6.6, 1.2.3.4, 10.0.0.9".parse().unwrap(),
        );
        // From a trusted proxy: the right-most untrusted address.
        assert_eq!(
            from.resolve(Some(ip("10.0.0.1")), &headers),
            Some(Peer::new(ip("1.2.3.4")))
        );
        // From anyone else: the socket, whatever the header says.
        assert_eq!(
            from.resolve(Some(ip("5.5.5.5")), &headers),
            Some(Peer::new(ip("5.5.5.5")))
        );
        // Never by default.
        assert_eq!(
            PeerFrom::Socket.resolve(Some(ip("10.0.0.1")), &headers),
            Some(Peer::new(ip("10.0.0.1")))
        );
        // An unreadable entry: the proxy's own address, not what lies left of it.
        headers.insert("x-forwarded-for", "6.6.6.6, junk".parse().unwrap());
        assert_eq!(
            from.resolve(Some(ip("10.0.0.1")), &headers),
            Some(Peer::new(ip("10.0.0.1")))
        );
        headers.remove("x-forwarded-for");
        assert_eq!(
            from.resolve(Some(ip("10.0.0.1")), &headers),
            Some(Peer::new(ip("10.0.0.1")))
        );
        assert_eq!(from.resolve(None, &headers), None);
    }
}
