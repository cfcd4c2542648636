//! The client's IP address: the socket peer, or, when the peer is a trusted reverse proxy,
//! the address that proxy reports in `X-Forwarded-For`.

use std::net::IpAddr;

use actix_web::HttpRequest;
pub use authdb_service::TrustedProxies;

/// The client address of `req` under [`TrustedProxies::client_ip`]'s rule.
pub(crate) trait RequestClientIp {
    fn client_ip_of(&self, req: &HttpRequest) -> Option<IpAddr>;
}

impl RequestClientIp for TrustedProxies {
    fn client_ip_of(&self, req: &HttpRequest) -> Option<IpAddr> {
        let forwarded = req.headers().get_all("x-forwarded-for").filter_map(|value| value.to_str().ok());
        Some(self.client_ip(req.peer_addr()?.ip(), forwarded))
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
        assert_eq!(proxies.client_ip_of(&request("203.0.113.9", Some("1.2.3.4"))), Some(ip("203.0.113.9")));
        assert_eq!(TrustedProxies::none().client_ip_of(&request("127.0.0.1", Some("1.2.3.4"))), Some(ip("127.0.0.1")));
    }

    #[test]
    fn a_trusted_peer_forwards_the_nearest_untrusted_address() {
        let proxies = TrustedProxies::parse(["10.0.0.0/8", "127.0.0.1"]).expect("valid");
        let forwarded = "6.6.6.6, 198.51.100.7, 10.1.2.3";
        assert_eq!(proxies.client_ip_of(&request("127.0.0.1", Some(forwarded))), Some(ip("198.51.100.7")));
        assert_eq!(proxies.client_ip_of(&request("127.0.0.1", None)), Some(ip("127.0.0.1")));
    }

    #[test]
    fn a_malformed_hop_stops_the_walk() {
        let proxies = TrustedProxies::parse(["127.0.0.1"]).expect("valid");
        assert_eq!(proxies.client_ip_of(&request("127.0.0.1", Some("1.1.1.1, junk"))), Some(ip("127.0.0.1")));
    }

    #[test]
    fn entries_must_be_addresses_or_ranges() {
        assert_eq!(TrustedProxies::parse(["10.0.0.0/8", "nope"]), Err("nope".to_owned()));
        assert!(TrustedProxies::parse(["::1", " 192.168.0.0/16 ", ""]).expect("valid").trusts(ip("192.168.3.4")));
        assert!(TrustedProxies::parse(["127.0.0.1"]).expect("valid").trusts(ip("::ffff:127.0.0.1")));
    }
}
