//! ICE server URLs and entries: what parses, what each mistake is called, and the schema's pattern never
//! refusing a URL the parser accepts.

use proptest::prelude::*;

use super::ice_server::{
    parse_ice_url, IceEntryError, IceScheme, IceServerEntry, IceTransport, IceUrl, IceUrlError,
    IceUrls, URL_PATTERN,
};

fn url(scheme: IceScheme, host: &str, port: u16, transport: IceTransport) -> IceUrl {
    IceUrl {
        scheme,
        host: host.to_owned(),
        port,
        transport,
    }
}

#[test]
fn stun_turn_and_turns_urls_parse_with_their_default_ports_and_transports() {
    use IceScheme::*;
    use IceTransport::*;
    assert_eq!(
        parse_ice_url("stun:stun.example.com"),
        Ok(url(Stun, "stun.example.com", 3478, Udp))
    );
    assert_eq!(
        parse_ice_url("stun:192.0.2.1:19302"),
        Ok(url(Stun, "192.0.2.1", 19302, Udp))
    );
    assert_eq!(
        parse_ice_url("turn:turn.example.com"),
        Ok(url(Turn, "turn.example.com", 3478, Udp))
    );
    assert_eq!(
        parse_ice_url("turn:turn.example.com:80?transport=tcp"),
        Ok(url(Turn, "turn.example.com", 80, Tcp))
    );
    assert_eq!(
        parse_ice_url("turn:t.example?transport=udp"),
        Ok(url(Turn, "t.example", 3478, Udp))
    );
    assert_eq!(
        parse_ice_url("turns:turn.example.com"),
        Ok(url(Turns, "turn.example.com", 5349, Tcp))
    );
    assert_eq!(
        parse_ice_url("turns:turn.example.com:443?transport=tcp"),
        Ok(url(Turns, "turn.example.com", 443, Tcp))
    );
    assert_eq!(
        parse_ice_url("turn:[2001:db8::1]:3479"),
        Ok(url(Turn, "2001:db8::1", 3479, Udp))
    );
    assert_eq!(parse_ice_url("stun:[::1]"), Ok(url(Stun, "::1", 3478, Udp)));
}

#[test]
fn each_kind_of_bad_url_is_named() {
    use IceUrlError::*;
    let cases = [
        ("turn:", NoHost(IceScheme::Turn)),
        ("stun::3478", NoHost(IceScheme::Stun)),
        ("http://turn.example.com", UnknownScheme),
        ("TURN:turn.example.com", UnknownScheme),
        ("turn://turn.example.com", BadHost(IceScheme::Turn)),
        ("turn:user@turn.example.com", BadHost(IceScheme::Turn)),
        ("turn:2001:db8::1", BadPort),
        ("turn:[2001:db8::zz]", BadHost(IceScheme::Turn)),
        ("turn:[2001:db8::1", BadHost(IceScheme::Turn)),
        ("turn:[::1]3478", Trailing(IceScheme::Turn)),
        ("turn:h.example:0", BadPort),
        ("turn:h.example:65536", BadPort),
        ("turn:h.example:03478", BadPort),
        ("turn:h.example:", BadPort),
        ("turn:h.example?transport=sctp", UnknownTransport),
        ("turns:h.example?transport=udp", UdpOverTls),
        ("stun:h.example?transport=udp", Trailing(IceScheme::Stun)),
        ("turn:h.example?foo=bar", Trailing(IceScheme::Turn)),
        ("turn:h.example/path", BadHost(IceScheme::Turn)),
    ];
    for (u, want) in cases {
        assert_eq!(parse_ice_url(u), Err(want), "{u}");
    }
}

#[test]
fn a_bad_url_message_quotes_the_url_and_shows_the_grammar() {
    let entry = IceServerEntry {
        urls: IceUrls::Many(vec!["stun:s.example".into(), "turn:".into()]),
        username: Some("agent".into()),
        credential: Some("pw".into()),
        credential_ref: None,
    };
    let errors = entry.check();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0].to_string(),
        "'turn:' needs a host (turn:host[:port][?transport=udp|tcp])"
    );
}

#[test]
fn a_turn_entry_needs_a_username_and_exactly_one_kind_of_credential() {
    let turn = |username: Option<&str>, credential: Option<&str>, credential_ref: Option<&str>| {
        IceServerEntry {
            urls: IceUrls::One("turns:turn.example.com".into()),
            username: username.map(Into::into),
            credential: credential.map(Into::into),
            credential_ref: credential_ref.map(Into::into),
        }
    };
    assert_eq!(turn(Some("u"), Some("p"), None).check(), vec![]);
    assert_eq!(turn(Some("u"), None, Some("corp-turn")).check(), vec![]);
    assert_eq!(
        turn(None, Some("p"), None).check(),
        vec![IceEntryError::NoUsername]
    );
    assert_eq!(
        turn(Some("u"), None, None).check(),
        vec![IceEntryError::NoCredential]
    );
    assert_eq!(
        turn(Some("u"), Some(""), None).check(),
        vec![IceEntryError::NoCredential]
    );
    assert_eq!(
        turn(Some("u"), Some("p"), Some("r")).check(),
        vec![IceEntryError::BothCredentials]
    );
    assert_eq!(
        IceEntryError::NoCredential.to_string(),
        "a TURN server needs credentials: set credential or credential_ref"
    );
    let stun = IceServerEntry {
        urls: IceUrls::One("stun:s.example".into()),
        ..turn(None, None, None)
    };
    assert_eq!(stun.check(), vec![]);
}

#[test]
fn urls_may_be_one_string_or_a_list_and_credentials_never_show_in_debug() {
    let one: IceServerEntry = serde_json::from_str(r#"{"urls":"stun:s.example"}"#).expect("one");
    assert_eq!(one.urls.as_slice(), ["stun:s.example".to_owned()]);
    let many: IceServerEntry = serde_json::from_str(
        r#"{"urls":["turn:t.example","turns:t.example"],"username":"u","credential":"hunter2"}"#,
    )
    .expect("many");
    assert_eq!(many.urls.as_slice().len(), 2);
    assert!(!format!("{many:?}").contains("hunter2"));
    assert!(
        serde_json::from_str::<IceServerEntry>(r#"{"urls":"stun:s.example","url":"x"}"#).is_err()
    );
}

fn arb_url() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        Just("stun:"),
        Just("turn:"),
        Just("turns:"),
        Just("http:"),
        Just("")
    ];
    let host = prop_oneof![
        "[a-z0-9][a-z0-9.-]{0,8}",
        Just("[2001:db8::1]".to_owned()),
        Just("[::".to_owned()),
        Just("".to_owned()),
        "[ -~]{0,6}",
    ];
    let port = prop_oneof![
        Just(String::new()),
        (0u32..70000).prop_map(|p| format!(":{p}")),
        "[:0-9a-z]{0,4}"
    ];
    let query = prop_oneof![
        Just(String::new()),
        Just("?transport=udp".to_owned()),
        Just("?transport=tcp".to_owned()),
        "\\?[a-z=]{0,12}",
    ];
    (scheme, host, port, query).prop_map(|(s, h, p, q)| format!("{s}{h}{p}{q}"))
}

proptest! {
    /// What the engine accepts, the schema (and so IT's editor) accepts too; where they differ, the engine
    /// is stricter (IPv6 addresses), and the policy check still reports it with the parser's reason.
    #[test]
    fn the_schema_pattern_accepts_every_url_the_parser_accepts(u in arb_url()) {
        let re = regex::Regex::new(URL_PATTERN).expect("pattern compiles");
        if parse_ice_url(&u).is_ok() {
            prop_assert!(re.is_match(&u), "{u}");
        }
        if !u.contains('[') {
            prop_assert_eq!(re.is_match(&u), parse_ice_url(&u).is_ok(), "{}", u);
        }
    }
}
