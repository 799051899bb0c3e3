//! Which URLs may be used without TLS: only those whose host is this machine (`localhost`, 127.0.0.0/8,
//! `::1`), where nothing crosses a network. Everything the engine reaches on a network is TLS-only
//! (`wss://`, `https://`), unless the lab or an explicit policy says otherwise at the call site.

/// The URL's host is this machine (a loopback address or `localhost`).
pub fn is_loopback(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url.trim()) else {
        return false;
    };
    let Some(host) = u.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `https://` anywhere, or `http://` to this machine.
pub fn is_https_or_loopback_http(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://") || (lower.starts_with("http://") && is_loopback(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_count_as_this_machine() {
        for yes in [
            "http://127.0.0.1:8090/x",
            "ws://127.1.2.3",
            "http://localhost/",
            "ws://[::1]:8080",
        ] {
            assert!(is_loopback(yes), "{yes}");
        }
        for no in [
            "http://192.0.2.1/",
            "http://127.0.0.1.evil.example/",
            "http://localhost.evil.example/",
            "ws://[::2]/",
            "not a url",
            "http://user@evil.example/?h=127.0.0.1",
        ] {
            assert!(!is_loopback(no), "{no}");
        }
    }

    #[test]
    fn https_anywhere_http_only_on_this_machine() {
        assert!(is_https_or_loopback_http("https://hooks.example.com/a"));
        assert!(is_https_or_loopback_http("HTTPS://hooks.example.com/a"));
        assert!(is_https_or_loopback_http("http://127.0.0.1:8090/a"));
        assert!(!is_https_or_loopback_http("http://hooks.example.com/a"));
        assert!(!is_https_or_loopback_http("ftp://127.0.0.1/a"));
    }
}
