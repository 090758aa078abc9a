//! Who may read `/metrics`: the operator's list of addresses and CIDR blocks
//! (`DANVAN_METRICS_ALLOW`, comma-separated), loopback only by default.
//!
//! The figures say how busy the office is and which routes fail: not for the public. Anyone
//! else gets the same 404 as an unknown page, so the route's existence is not revealed.

use std::net::IpAddr;
use std::sync::OnceLock;

use ipnet::IpNet;

/// The environment variable holding the list, e.g. `127.0.0.1,::1,10.20.0.0/16`.
pub const ENV: &str = "DANVAN_METRICS_ALLOW";

/// Networks allowed to read `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList(Vec<IpNet>);

impl AllowList {
    /// Loopback only: `127.0.0.1` and `::1` (a Prometheus on the same machine).
    pub fn loopback() -> AllowList {
        AllowList(vec![
            IpNet::from(IpAddr::from([127, 0, 0, 1])),
            IpNet::from(IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1])),
        ])
    }

    /// Parses a comma-separated list of addresses (`10.0.0.5`, `::1`) and CIDR blocks
    /// (`10.0.0.0/8`, `fd00::/8`); spaces around entries are ignored. An empty list allows
    /// nobody. Errors name the entry that is neither, in Vietnamese / English.
    pub fn parse(text: &str) -> Result<AllowList, String> {
        let mut networks = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let network = match entry.parse::<IpNet>() {
                Ok(network) => network,
                Err(_) => match entry.parse::<IpAddr>() {
                    Ok(address) => IpNet::from(address),
                    Err(_) => {
                        return Err(format!(
                            "{ENV}: «{entry}» không phải địa chỉ IP hay khối CIDR / is not an IP address or CIDR block"
                        ));
                    }
                },
            };
            networks.push(network.trunc());
        }
        Ok(AllowList(networks))
    }

    /// Whether `peer` is inside one of the networks. An IPv4 address seen as IPv6
    /// (`::ffff:127.0.0.1`, a dual-stack listener) is compared as IPv4.
    pub fn allows(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.0.iter().any(|network| network.contains(&peer))
    }
}

static CONFIGURED: OnceLock<AllowList> = OnceLock::new();

/// Reads [`ENV`] once, at start: unset means [`AllowList::loopback`]; a wrong entry is an
/// error, so that a typo stops the server instead of opening or closing `/metrics` silently.
/// Later calls return what the first one read.
pub fn configure_from_env() -> Result<&'static AllowList, String> {
    if let Some(list) = CONFIGURED.get() {
        return Ok(list);
    }
    let list = match std::env::var(ENV) {
        Ok(text) => AllowList::parse(&text)?,
        Err(std::env::VarError::NotPresent) => AllowList::loopback(),
        Err(std::env::VarError::NotUnicode(_)) => return Err(format!("{ENV}: không phải UTF-8 / not UTF-8")),
    };
    Ok(CONFIGURED.get_or_init(|| list))
}

/// The list in force: [`configure_from_env`]'s, or loopback only when the variable cannot be
/// read (the server checked it at start, so this happens only where it did not: tests).
pub fn current() -> &'static AllowList {
    match configure_from_env() {
        Ok(list) => list,
        Err(error) => {
            tracing::error!(%error, "danh sách địa chỉ được đọc /metrics không hợp lệ; chỉ cho phép loopback");
            CONFIGURED.get_or_init(AllowList::loopback)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn loopback_by_default_and_nothing_else() {
        let list = AllowList::loopback();
        assert!(list.allows(ip("127.0.0.1")));
        assert!(list.allows(ip("::1")));
        assert!(list.allows(ip("::ffff:127.0.0.1")), "IPv4 on a dual-stack socket");
        assert!(!list.allows(ip("127.0.0.2")));
        assert!(!list.allows(ip("10.0.0.1")));
        assert!(!list.allows(ip("::2")));
    }

    #[test]
    fn addresses_and_blocks_of_both_families() {
        let list = AllowList::parse(" 10.20.0.0/16, 192.168.1.7 ,fd00::/8,,2001:db8::1").expect("list");
        assert!(list.allows(ip("10.20.255.3")));
        assert!(!list.allows(ip("10.21.0.1")));
        assert!(list.allows(ip("192.168.1.7")));
        assert!(!list.allows(ip("192.168.1.8")));
        assert!(list.allows(ip("fd12:3456::1")));
        assert!(list.allows(ip("2001:db8::1")));
        assert!(!list.allows(ip("2001:db8::2")));
        assert!(!list.allows(ip("127.0.0.1")), "loopback is not added to an operator's list");
        // Host bits set in a block are the block: 10.1.2.3/8 is 10.0.0.0/8.
        assert!(AllowList::parse("10.1.2.3/8").expect("list").allows(ip("10.200.0.1")));
    }

    #[test]
    fn an_empty_list_allows_nobody_and_a_typo_is_refused() {
        assert!(!AllowList::parse("").expect("empty").allows(ip("127.0.0.1")));
        let error = AllowList::parse("127.0.0.1,10.0.0.0/33").expect_err("bad prefix");
        assert!(error.contains("10.0.0.0/33"), "{error}");
        assert!(AllowList::parse("localhost").is_err());
    }
}
