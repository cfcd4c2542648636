//! Network addresses: IP addresses, CIDR blocks and MAC addresses, each with one
//! canonical text form.

use std::{
    fmt,
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
};

use crate::Violation;

/// An IPv4 or IPv6 address (no prefix, no zone). Its text form is the canonical one:
/// dotted decimal for IPv4, RFC 5952 (lower case, longest zero run compressed) for IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpAddress(IpAddr);

impl IpAddress {
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        let text = raw.trim();
        if text.contains('%') {
            return Err(Violation::new(field, "must not carry a zone index"));
        }
        text.parse::<IpAddr>()
            .map(Self)
            .map_err(|_| Violation::new(field, "must be an IPv4 or IPv6 address, such as 10.0.0.1 or 2001:db8::1"))
    }

    pub const fn addr(self) -> IpAddr {
        self.0
    }

    /// A byte string whose order is the numeric order of addresses, IPv4 before IPv6:
    /// a family byte (4 or 6) followed by the address in network byte order. Stored
    /// beside the address so that both backends sort and compare ranges alike.
    pub fn sort_key(self) -> Vec<u8> {
        match self.0 {
            IpAddr::V4(v4) => std::iter::once(4).chain(v4.octets()).collect(),
            IpAddr::V6(v6) => std::iter::once(6).chain(v6.octets()).collect(),
        }
    }
}

impl fmt::Display for IpAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A CIDR block: an address and a prefix length, with no host bits set. Its text form is
/// `10.0.0.0/8`, `2001:db8::/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(raw: &str, field: impl Into<std::borrow::Cow<'static, str>>) -> Result<Self, Violation> {
        let field = field.into();
        let text = raw.trim();
        let invalid = |field| Violation::new(field, "must be a CIDR block such as 10.0.0.0/8 or 2001:db8::/32");
        let Some((address, prefix)) = text.split_once('/') else { return Err(invalid(field)) };
        let Ok(network) = address.parse::<IpAddr>() else { return Err(invalid(field)) };
        let max = if network.is_ipv4() { 32 } else { 128 };
        let digits = !prefix.is_empty()
            && prefix.chars().all(|c| c.is_ascii_digit())
            && (prefix == "0" || !prefix.starts_with('0'));
        let prefix = match prefix.parse::<u8>() {
            Ok(prefix) if digits && prefix <= max => prefix,
            _ => return Err(Violation::new(field, format!("must have a prefix length from 0 to {max}"))),
        };
        let cidr = Self { network, prefix };
        let masked = cidr.masked();
        if masked != network {
            return Err(Violation::new(field, format!("has host bits set; the block is {}/{prefix}", masked)));
        }
        Ok(cidr)
    }

    pub const fn network(self) -> IpAddr {
        self.network
    }

    pub const fn prefix(self) -> u8 {
        self.prefix
    }

    /// Whether `address` lies in this block (never across families).
    pub fn contains(self, address: IpAddress) -> bool {
        let other = Self { network: address.addr(), prefix: self.prefix };
        match (self.network, address.addr()) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => other.masked() == self.network,
            _ => false,
        }
    }

    /// The first and last [`IpAddress::sort_key`] of the block: an address is in it when
    /// its key lies between them (inclusive).
    pub fn sort_range(self) -> (Vec<u8>, Vec<u8>) {
        let first = IpAddress(self.network);
        let last = match self.network {
            IpAddr::V4(v4) => {
                let hosts = u32::MAX.checked_shr(u32::from(self.prefix)).unwrap_or(0);
                IpAddress(IpAddr::V4(Ipv4Addr::from(u32::from(v4) | hosts)))
            }
            IpAddr::V6(v6) => {
                let hosts = u128::MAX.checked_shr(u32::from(self.prefix)).unwrap_or(0);
                IpAddress(IpAddr::V6(Ipv6Addr::from(u128::from(v6) | hosts)))
            }
        };
        (first.sort_key(), last.sort_key())
    }

    fn masked(self) -> IpAddr {
        match self.network {
            IpAddr::V4(v4) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask))
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
            }
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// A MAC-48 address. Accepted as `aa:bb:cc:dd:ee:ff`, `aa-bb-cc-dd-ee-ff`,
/// `aabb.ccdd.eeff` or `aabbccddeeff`, in any case; written `aa:bb:cc:dd:ee:ff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MacAddress([u8; 6]);

impl MacAddress {
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        let text = raw.trim();
        let invalid = || {
            Violation::new(
                field,
                "must be a MAC address such as aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or aabb.ccdd.eeff",
            )
        };
        let groups: Vec<&str> = if text.len() == 12 {
            vec![text]
        } else if text.len() == 17 && (text.split(':').count() == 6 || text.split('-').count() == 6) {
            let separator = if text.contains(':') { ':' } else { '-' };
            let groups: Vec<&str> = text.split(separator).collect();
            if groups.iter().any(|group| group.len() != 2) {
                return Err(invalid());
            }
            groups
        } else if text.len() == 14 && text.split('.').count() == 3 {
            let groups: Vec<&str> = text.split('.').collect();
            if groups.iter().any(|group| group.len() != 4) {
                return Err(invalid());
            }
            groups
        } else {
            return Err(invalid());
        };
        let hex: String = groups.concat();
        if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let mut bytes = [0_u8; 6];
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[index * 2..index * 2 + 2], 16).map_err(|_| invalid())?;
        }
        Ok(Self(bytes))
    }

    pub const fn octets(self) -> [u8; 6] {
        self.0
    }
}

impl fmt::Display for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_addresses_are_canonical() {
        let ip = |raw| IpAddress::parse(raw, "ip_address").map(|ip| ip.to_string());
        assert_eq!(ip(" 10.0.0.1 ").as_deref(), Ok("10.0.0.1"));
        assert_eq!(ip("2001:DB8:0:0:0:0:0:1").as_deref(), Ok("2001:db8::1"));
        assert_eq!(ip("::FFFF:10.0.0.1").as_deref(), Ok("::ffff:10.0.0.1"));
        for bad in ["", "10.0.0", "10.0.0.256", "010.0.0.1", "10.0.0.1/32", "fe80::1%eth0", "host"] {
            assert_eq!(ip(bad).expect_err(bad).field, "ip_address", "{bad}");
        }
    }

    #[test]
    fn sort_keys_order_numerically_v4_before_v6() {
        let key = |raw| IpAddress::parse(raw, "ip").expect(raw).sort_key();
        assert!(key("10.0.0.9") < key("10.0.0.10"));
        assert!(key("9.255.255.255") < key("10.0.0.0"));
        assert!(key("255.255.255.255") < key("::"));
        assert!(key("2001:db8::9") < key("2001:db8::10"));
    }

    #[test]
    fn cidrs_parse_contain_and_refuse_host_bits() {
        let cidr = Cidr::parse("10.1.0.0/16", "cidr").expect("valid");
        assert_eq!(cidr.to_string(), "10.1.0.0/16");
        assert!(cidr.contains(IpAddress::parse("10.1.255.3", "ip").expect("ip")));
        assert!(!cidr.contains(IpAddress::parse("10.2.0.1", "ip").expect("ip")));
        assert!(!cidr.contains(IpAddress::parse("::a01:1", "ip").expect("ip")));
        let v6 = Cidr::parse("2001:DB8::/32", "cidr").expect("v6");
        assert_eq!(v6.to_string(), "2001:db8::/32");
        assert!(v6.contains(IpAddress::parse("2001:db8:ffff::1", "ip").expect("ip")));
        assert_eq!(Cidr::parse("0.0.0.0/0", "cidr").expect("all").prefix(), 0);
        let (first, last) = cidr.sort_range();
        let key = |raw| IpAddress::parse(raw, "ip").expect(raw).sort_key();
        assert_eq!((first, last.clone()), (key("10.1.0.0"), key("10.1.255.255")));
        assert!(key("10.1.7.7") <= last && key("10.2.0.0") > last);
        let (first, last) = Cidr::parse("::/0", "cidr").expect("all v6").sort_range();
        assert_eq!((first, last), (key("::"), key("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
        let host_bits = Cidr::parse("10.1.2.3/16", "cidrs[0]").expect_err("host bits");
        assert_eq!(host_bits.field, "cidrs[0]");
        assert!(host_bits.message.contains("10.1.0.0/16"));
        for bad in ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/08", "::/129", "x/8"] {
            assert!(Cidr::parse(bad, "cidr").is_err(), "{bad}");
        }
    }

    #[test]
    fn macs_accept_every_usual_form() {
        for raw in ["AA:BB:CC:00:11:22", "aa-bb-cc-00-11-22", "AABB.CC00.1122", "aabbcc001122", " aa:Bb:cc:00:11:22 "] {
            assert_eq!(MacAddress::parse(raw, "mac_address").expect(raw).to_string(), "aa:bb:cc:00:11:22", "{raw}");
        }
        for bad in
            ["", "aa:bb:cc:00:11", "aa:bb:cc:00:11:2g", "aa:bb-cc:00:11:22", "aab.bcc.001.122", "a:bb:cc:00:11:223"]
        {
            assert_eq!(MacAddress::parse(bad, "mac_address").expect_err(bad).field, "mac_address", "{bad}");
        }
    }
}
