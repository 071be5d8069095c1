//! The client's address, for rate limits and the audit log. Behind a reverse proxy every
//! connection comes from the proxy, so `X-Forwarded-For` is read — but only when the
//! connection comes from a configured trusted proxy; from anyone else the header is
//! ignored (it could be forged).

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::AppState;

/// An address range such as `10.0.0.0/8`, `::1/128` or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = s
            .trim()
            .split_once('/')
            .map_or((s.trim(), None), |(a, p)| (a, Some(p)));
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an address or range"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: prefix must be 0 to {max}"))?,
            None => max,
        };
        Ok(IpRange { network, prefix })
    }
}

/// The client address of a request: the socket's, or for a trusted proxy the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_address(
    socket: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpRange],
) -> Option<IpAddr> {
    let socket = socket?;
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    if !is_trusted(socket) {
        return Some(socket);
    }
    let Some(header) = forwarded_for else {
        return Some(socket);
    };
    let mut last = socket;
    for entry in header.rsplit(',') {
        let Ok(ip) = entry.trim().parse::<IpAddr>() else {
            break;
        };
        last = ip;
        if !is_trusted(ip) {
            return Some(ip);
        }
    }
    Some(last)
}

/// The client's address as text ("unknown" without connection info).
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let socket = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        let ip = client_address(socket, forwarded, &state.trusted_proxies);
        Ok(ClientIp(ip.map_or_else(
            || "unknown".into(),
            |ip| ip.to_canonical().to_string(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges() {
        let r: IpRange = "10.0.0.0/8".parse().unwrap();
        assert!(r.contains(ip("10.1.2.3")) && !r.contains(ip("11.0.0.1")));
        assert!(r.contains(ip("::ffff:10.0.0.1")), "IPv4-mapped IPv6");
        let one: IpRange = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6: IpRange = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!("10.0.0.0/33".parse::<IpRange>().is_err());
        assert!("nonsense".parse::<IpRange>().is_err());
        assert!(
            "0.0.0.0/0"
                .parse::<IpRange>()
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let trusted = vec!["10.0.0.0/8".parse().unwrap()];
        let proxy = Some(ip("10.0.0.5"));
        assert_eq!(
            client_address(proxy, Some("203.0.113.7"), &trusted),
            Some(ip("203.0.113.7"))
        );
        // A client that forges the header gets the address its proxy saw.
        assert_eq!(
            client_address(proxy, Some("1.1.1.1, 203.0.113.7"), &trusted),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(
            client_address(proxy, Some("203.0.113.7, 10.0.0.9"), &trusted),
            Some(ip("203.0.113.7"))
        );
        // Not from a trusted proxy: the header is ignored.
        assert_eq!(
            client_address(Some(ip("198.51.100.1")), Some("1.1.1.1"), &trusted),
            Some(ip("198.51.100.1"))
        );
        assert_eq!(client_address(proxy, None, &trusted), proxy);
        assert_eq!(client_address(proxy, Some("garbage"), &trusted), proxy);
        assert_eq!(client_address(None, Some("1.1.1.1"), &trusted), None);
    }
}
