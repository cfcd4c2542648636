//! The client's IP address: the socket peer, or, when the peer is a trusted reverse proxy,
//! the address that proxy reports in `X-Forwarded-For`.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// Reverse proxies whose `X-Forwarded-For` is believed: addresses or CIDR ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn none() -> Self {
        Self(Vec::new())
    }

    /// Parses entries such as `10.0.0.0/8`, `127.0.0.1` or `::1`; returns the first entry
    /// that is neither an address nor a CIDR range as the error.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        entries
            .into_iter()
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| entry.to_owned())
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client address of `req`. `X-Forwarded-For` is read only when the socket peer is
    /// trusted; it is then walked from the right (the hop nearest to us), skipping trusted
    /// proxies, and the first untrusted address is the client. A malformed entry stops the
    /// walk: everything left of it could be forged.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = canonical(req.peer_addr()?.ip());
        if !self.trusts(peer) {
            return Some(peer);
        }
        let mut client = peer;
        let forwarded = req.headers().get_all("x-forwarded-for").filter_map(|value| value.to_str().ok());
        let hops: Vec<&str> = forwarded.flat_map(|value| value.split(',')).map(str::trim).collect();
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else { break };
            client = canonical(ip);
            if !self.trusts(client) {
                break;
            }
        }
        Some(client)
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) compare as the IPv4 address they hold.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn request(peer: &str, forwarded: Option<&str>) -> HttpRequest {
        let mut request = TestRequest::default().peer_addr(format!("{peer}:4000").parse().expect("socket address"));
        if let Some(value) = forwarded {
            request = request.insert_header(("X-Forwarded-For", value));
        }
        request.to_http_request()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let proxies = TrustedProxies::parse(["10.0.0.0/8"]).expect("valid");
        assert_eq!(proxies.client_ip(&request("203.0.113.9", Some("1.2.3.4"))), Some(ip("203.0.113.9")));
        assert_eq!(TrustedProxies::none().client_ip(&request("127.0.0.1", Some("1.2.3.4"))), Some(ip("127.0.0.1")));
    }

    #[test]
    fn a_trusted_peer_forwards_the_nearest_untrusted_address() {
        let proxies = TrustedProxies::parse(["10.0.0.0/8", "127.0.0.1"]).expect("valid");
        let forwarded = "6.6.6.6, 198.51.100.7, 10.1.2.3";
        assert_eq!(proxies.client_ip(&request("127.0.0.1", Some(forwarded))), Some(ip("198.51.100.7")));
        assert_eq!(proxies.client_ip(&request("127.0.0.1", None)), Some(ip("127.0.0.1")));
    }

    #[test]
    fn a_malformed_hop_stops_the_walk() {
        let proxies = TrustedProxies::parse(["127.0.0.1"]).expect("valid");
        assert_eq!(proxies.client_ip(&request("127.0.0.1", Some("1.1.1.1, junk"))), Some(ip("127.0.0.1")));
    }

    #[test]
    fn entries_must_be_addresses_or_ranges() {
        assert_eq!(TrustedProxies::parse(["10.0.0.0/8", "nope"]), Err("nope".to_owned()));
        assert!(TrustedProxies::parse(["::1", " 192.168.0.0/16 ", ""]).expect("valid").trusts(ip("192.168.3.4")));
        assert!(TrustedProxies::parse(["127.0.0.1"]).expect("valid").trusts(ip("::ffff:127.0.0.1")));
    }
}
