//! Where a request came from: [`ClientInfo`], and [`TrustedProxies`], the rule every HTTP
//! adapter (the JSON API, the web console) applies to find the client's address behind
//! reverse proxies. The rule lives here, without HTTP types, so that both adapters count
//! logins per address alike.

use std::net::IpAddr;

use ipnet::IpNet;

/// Where a request came from, for sessions and audit events.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The OAuth2 client (token endpoint `client_id`), recorded on new sessions.
    pub client_id: Option<String>,
}

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

    /// The client address of a request from the socket peer `peer` carrying the
    /// `X-Forwarded-For` header values `forwarded`. The header is read only when the peer
    /// is trusted; it is then walked from the right (the hop nearest to us), skipping
    /// trusted proxies, and the first untrusted address is the client. A malformed entry
    /// stops the walk: everything left of it could be forged.
    pub fn client_ip<'a>(&self, peer: IpAddr, forwarded: impl IntoIterator<Item = &'a str>) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        let hops: Vec<&str> = forwarded.into_iter().flat_map(|value| value.split(',')).map(str::trim).collect();
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else { break };
            client = canonical(ip);
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) compare as the IPv4 address they hold.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}
