//! The machine's addresses that ICE may offer as host candidates, read fresh each time they are asked for.
//!
//! [`HostAddrs`] is handed to the peer connection as its bind address list. The `webrtc` crate resolves that
//! list again on every bind — at the start of a call and on each ICE restart — so a call that restarts ICE
//! after a network change binds the interfaces the machine has *now*, filtered by policy, not the ones it
//! had when the call started.
//!
//! Usable: up, not loopback, not link-local (`169.254/16`, `fe80::/10`), not unspecified, and not on an
//! interface the policy excludes. Loopback is offered only when asked for (a SIP server on loopback, the lab).

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};

/// One address of one interface.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InterfaceAddr {
    pub name: String,
    pub ip: IpAddr,
    pub up: bool,
}

/// Which local addresses to bind, decided when the sockets are bound.
#[derive(Debug, Clone, Default)]
pub struct HostAddrs {
    /// Interface names never used: exact, or a prefix when the pattern ends in `*`.
    pub excluded: Vec<String>,
    pub include_loopback: bool,
}

impl HostAddrs {
    /// The addresses to bind (port 0) out of the interfaces given.
    pub fn select(&self, interfaces: &[InterfaceAddr]) -> Vec<SocketAddr> {
        let mut out: Vec<SocketAddr> = Vec::new();
        for i in interfaces {
            let usable = if i.ip.is_loopback() {
                self.include_loopback
            } else {
                i.up && !i.ip.is_unspecified()
                    && !is_link_local(&i.ip)
                    && !self.is_excluded(&i.name)
            };
            let addr = SocketAddr::new(i.ip, 0);
            if usable && !out.contains(&addr) {
                out.push(addr);
            }
        }
        out
    }

    fn is_excluded(&self, name: &str) -> bool {
        self.excluded.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == p,
        })
    }
}

/// The machine's interface addresses now (empty when they cannot be read).
pub fn interfaces() -> Vec<InterfaceAddr> {
    match if_addrs::get_if_addrs() {
        Ok(list) => {
            let mut v: Vec<InterfaceAddr> = list
                .into_iter()
                .map(|i| InterfaceAddr {
                    up: i.is_oper_up() || i.is_loopback(),
                    ip: i.ip(),
                    name: i.name,
                })
                .collect();
            v.sort();
            v
        }
        Err(e) => {
            tracing::warn!("the network interfaces could not be read: {e}");
            Vec::new()
        }
    }
}

impl ToSocketAddrs for HostAddrs {
    type Iter = std::vec::IntoIter<SocketAddr>;

    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        let mut addrs = self.select(&interfaces());
        if addrs.is_empty() {
            // Nothing usable (offline, or every interface excluded): bind the IPv4 wildcard so the call can
            // still come up through a relay once a network is back (an IPv6 one fails where IPv6 is off).
            tracing::info!("no usable network interface for media; binding the wildcard address");
            addrs = vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)];
        }
        Ok(addrs.into_iter())
    }
}

fn is_link_local(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(name: &str, ip: &str, up: bool) -> InterfaceAddr {
        InterfaceAddr {
            name: name.into(),
            ip: ip.parse().unwrap(),
            up,
        }
    }

    fn ips(v: Vec<SocketAddr>) -> Vec<String> {
        v.into_iter().map(|a| a.ip().to_string()).collect()
    }

    #[test]
    fn real_interfaces_are_offered_and_loopback_link_local_and_down_ones_are_not() {
        let list = vec![
            iface("lo", "127.0.0.1", true),
            iface("lo", "::1", true),
            iface("eth0", "192.0.2.10", true),
            iface("eth0", "2001:db8::10", true),
            iface("eth0", "fe80::1", true),
            iface("wlan0", "169.254.3.4", true),
            iface("wlan1", "198.51.100.7", false),
        ];
        let selected = HostAddrs::default().select(&list);
        assert_eq!(ips(selected), ["192.0.2.10", "2001:db8::10"]);
    }

    #[test]
    fn loopback_only_when_the_server_is_on_loopback() {
        let list = vec![
            iface("lo", "127.0.0.1", true),
            iface("eth0", "192.0.2.10", true),
        ];
        let lab = HostAddrs {
            include_loopback: true,
            ..HostAddrs::default()
        };
        assert_eq!(ips(lab.select(&list)), ["127.0.0.1", "192.0.2.10"]);
    }

    #[test]
    fn excluded_interfaces_are_skipped_by_name_or_prefix() {
        let list = vec![
            iface("docker0", "172.17.0.1", true),
            iface("vEthernet (WSL)", "172.20.0.1", true),
            iface("eth0", "192.0.2.10", true),
            iface("eth01", "192.0.2.11", true),
        ];
        let policy = HostAddrs {
            excluded: vec!["docker0".into(), "vEthernet*".into(), "eth0".into()],
            ..Default::default()
        };
        assert_eq!(ips(policy.select(&list)), ["192.0.2.11"]);
    }

    #[test]
    fn this_machine_offers_no_loopback_address_by_default() {
        let addrs: Vec<SocketAddr> = HostAddrs::default().to_socket_addrs().unwrap().collect();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| !a.ip().is_loopback()), "{addrs:?}");
    }
}
