//! `media.*`: parsing and checking the keys, the registry and plist forms, precedence over the sign-in
//! profile, and TURN passwords from the keychain.

use std::collections::HashMap;
use std::convert::Infallible;

use serde_json::{json, Value};

use super::check::check_value;
use super::effective::{load_effective, SourceDoc};
use super::ice_settings::{ice_settings, keychain_lookup, IceProblem};
use super::media::MediaPolicy;
use super::sources::registry::{registry_to_json, RegData, RegistryValue};
use super::tests::messages;
use super::{check_text, Policy};
use crate::audio::processing::VoiceProcessing;
use crate::config::EngineConfig;
use crate::media::ice::{IceServer, IceTransportPolicy};
use crate::media::ice_server::{IceServerEntry, IceUrls, TransportPolicy};
use crate::secrets::{turn_account, Keychain, SERVICE};

fn check_media(media: Value) -> String {
    messages(&check_value(&json!({ "media": media })))
}

fn policy(media: Value) -> MediaPolicy {
    serde_json::from_value(media).expect("media policy")
}

fn entry(
    urls: &[&str],
    username: Option<&str>,
    credential: Option<&str>,
    credential_ref: Option<&str>,
) -> IceServerEntry {
    IceServerEntry {
        urls: IceUrls::Many(urls.iter().map(|u| (*u).to_owned()).collect()),
        username: username.map(Into::into),
        credential: credential.map(Into::into),
        credential_ref: credential_ref.map(Into::into),
    }
}

fn no_keychain(_: &str) -> Result<Option<String>, Infallible> {
    Ok(None)
}

// ---- checking ----

#[test]
fn a_full_media_table_checks_clean_with_urls_as_one_string_or_a_list() {
    let p = check_text(
        r#"{"media": {"ice_servers": [{"urls": "stun:stun.example.com:3478"},
                                      {"urls": ["turn:turn.example.com?transport=udp", "turns:[2001:db8::1]:443"],
                                       "username": "agent", "credential_ref": "corp-turn"},
                                      {"urls": "turn:10.0.0.1", "username": "u", "credential": "p"}],
                      "ice_transport_policy": "relay",
                      "excluded_interfaces": ["docker*", "vEthernet*", "Ethernet 2"]}}"#,
        "t",
    )
    .expect("valid");
    let servers = p.media.ice_servers.expect("set");
    assert_eq!(servers.len(), 3);
    assert_eq!(servers[1].urls.as_slice().len(), 2);
    assert_eq!(p.media.ice_transport_policy, Some(TransportPolicy::Relay));
    assert_eq!(
        p.media.excluded_interfaces,
        ["docker*", "vEthernet*", "Ethernet 2"]
    );
    assert_eq!(Policy::default().media, MediaPolicy::default());
}

#[test]
fn a_bad_url_is_named_by_its_key_and_said_in_words() {
    let m = check_media(
        json!({"ice_servers": [{"urls": ["stun:s.example", "turn:"], "username": "u", "credential": "p"}]}),
    );
    assert_eq!(
        m,
        "media.ice_servers[0].urls[1]: 'turn:' needs a host (turn:host[:port][?transport=udp|tcp])"
    );
    let m = check_media(json!({"ice_servers": [{"urls": "http://turn.example.com"}]}));
    assert!(
        m.starts_with(
            "media.ice_servers[0].urls: 'http://turn.example.com' has an unknown scheme; use stun:"
        ),
        "{m}"
    );
    let m = check_media(
        json!({"ice_servers": [{"urls": "turns:t.example?transport=udp", "username": "u", "credential": "p"}]}),
    );
    assert!(
        m.contains(
            "media.ice_servers[0].urls: 'turns:t.example?transport=udp' cannot take ?transport=udp"
        ),
        "{m}"
    );
    let m = check_media(
        json!({"ice_servers": [{"urls": "turn:t.example?transport=sctp", "username": "u", "credential": "p"}]}),
    );
    assert!(
        m.contains("has an unknown transport; use ?transport=udp or ?transport=tcp"),
        "{m}"
    );
    let m = check_media(
        json!({"ice_servers": [{"urls": "turn:[2001:db8::zz]", "username": "u", "credential": "p"}]}),
    );
    assert!(
        m.starts_with(
            "media.ice_servers[0].urls: 'turn:[2001:db8::zz]' has a host that is not a DNS name"
        ),
        "{m}"
    );
    // The schema's pattern lets this one through; the engine's own check still names it.
    let m = check_media(
        json!({"ice_servers": [{"urls": "turn:[:::]", "username": "u", "credential": "p"}]}),
    );
    assert!(
        m.starts_with("media.ice_servers[0].urls: 'turn:[:::]' has a host that is not a DNS name"),
        "{m}"
    );
}

#[test]
fn a_turn_server_without_username_or_credentials_is_named() {
    let m = check_media(
        json!({"ice_servers": [{"urls": "stun:s.example"}, {"urls": "turn:t.example"}]}),
    );
    assert_eq!(
        m,
        "media.ice_servers[1].username: a TURN server needs a username\n\
         media.ice_servers[1]: a TURN server needs credentials: set credential or credential_ref"
    );
    let m = check_media(
        json!({"ice_servers": [{"urls": "turns:t.example", "username": "u", "credential": "p", "credential_ref": "r"}]}),
    );
    assert_eq!(
        m,
        "media.ice_servers[0].credential_ref: set credential or credential_ref, not both"
    );
}

#[test]
fn unknown_keys_transport_policies_and_interface_patterns_are_refused() {
    let m = check_media(json!({"ice_servers": [{"url": "stun:s.example"}]}));
    assert!(
        m.contains(
            "media.ice_servers[0].url: unknown key (did you mean media.ice_servers[0].urls?)"
        ),
        "{m}"
    );
    assert!(m.contains("media.ice_servers[0].urls: missing"), "{m}");
    let m = check_media(json!({"ice_transport_policy": "relay_only"}));
    assert!(m.contains(r#"media.ice_transport_policy: "relay_only" is not allowed; allowed: one of "all", "relay""#), "{m}");
    let m = check_media(json!({"excluded_interfaces": ["docker*", "*", "a*b"]}));
    assert!(
        m.contains("media.excluded_interfaces[1]") && m.contains("media.excluded_interfaces[2]"),
        "{m}"
    );
}

#[test]
fn a_credential_is_never_echoed_in_a_message() {
    let m = check_media(
        json!({"ice_servers": [{"urls": "turn:t.example", "username": "u", "credential": 12345678}]}),
    );
    assert!(
        m.contains("media.ice_servers[0].credential: this value is not allowed"),
        "{m}"
    );
    assert!(!m.contains("12345678"), "{m}");
    let m =
        check_media(json!({"ice_servers": {"urls": "turn:t.example", "credential": "hunter2"}}));
    assert!(
        m.starts_with("media.ice_servers: this value is not allowed"),
        "{m}"
    );
    assert!(!m.contains("hunter2"), "{m}");
}

#[test]
fn a_bad_server_entry_is_dropped_with_a_warning_and_the_others_apply() {
    let managed = [SourceDoc {
        source: "policy.json".into(),
        doc: Ok(json!({"media": {"ice_servers": [
            {"urls": "stun:s.example"},
            {"urls": "turn:t.example"},
            {"urls": ["turn:"], "username": "u", "credential": "p"},
            {"urls": "turns:t.example", "username": "u", "credential_ref": "corp"}],
            "ice_transport_policy": "sometimes"}})),
    }];
    let eff = load_effective(&managed, None);
    let kept: Vec<Vec<String>> = eff
        .policy
        .media
        .ice_servers
        .iter()
        .flatten()
        .map(|e| e.urls.as_slice().to_vec())
        .collect();
    assert_eq!(
        kept,
        [
            vec!["stun:s.example".to_owned()],
            vec!["turns:t.example".to_owned()]
        ]
    );
    assert_eq!(eff.policy.media.ice_transport_policy, None);
    assert!(eff.is_managed("media.ice_servers"));
    let text: Vec<String> = eff.warnings.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|w| w.contains("media.ice_servers[1]: a TURN server needs credentials")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|w| w.contains("media.ice_servers[2].urls[0]: 'turn:' needs a host")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|w| w.contains("media.ice_transport_policy")),
        "{text:?}"
    );
}

#[test]
fn registry_holds_servers_as_json_text_and_interfaces_as_multi_sz() {
    let reg = |name: &str, data| RegistryValue {
        key: "media".into(),
        name: name.into(),
        data,
    };
    let values = [
        reg(
            "ice_servers",
            RegData::Sz(
                r#"[{"urls":"turn:t.example","username":"u","credential_ref":"corp"}]"#.into(),
            ),
        ),
        reg("ice_transport_policy", RegData::Sz("relay".into())),
        reg(
            "excluded_interfaces",
            RegData::MultiSz(vec!["docker*".into(), "vEthernet*".into()]),
        ),
    ];
    let v = registry_to_json(&values);
    assert_eq!(
        v,
        json!({"media": {"ice_servers": [{"urls": "turn:t.example", "username": "u", "credential_ref": "corp"}],
                         "ice_transport_policy": "relay", "excluded_interfaces": ["docker*", "vEthernet*"]}})
    );
    assert!(check_value(&v).is_empty(), "{}", messages(&check_value(&v)));
}

// ---- what a call uses ----

#[test]
fn noise_suppression_set_by_policy_is_on_and_unset_keys_keep_the_built_in_defaults() {
    assert_eq!(
        MediaPolicy::default().voice_processing(),
        VoiceProcessing::default()
    );
    assert!(!VoiceProcessing::default().noise_suppression);
    let p = check_text(r#"{"media": {"noise_suppression": true}}"#, "t").expect("valid");
    assert_eq!(
        p.media.voice_processing(),
        VoiceProcessing {
            noise_suppression: true,
            ..VoiceProcessing::default()
        }
    );
    let p = policy(
        json!({"echo_cancellation": false, "noise_suppression": false, "auto_gain_control": false}),
    );
    assert_eq!(p.voice_processing(), VoiceProcessing::off());
}

#[test]
fn ordinary_calls_send_copies_from_5_percent_loss_unless_the_policy_says_another_figure() {
    assert_eq!(MediaPolicy::default().redundancy_at_loss(), 0.05);
    let p = check_text(r#"{"media": {"redundancy_at_loss_percent": 0}}"#, "t").expect("valid");
    assert_eq!(p.media.redundancy_at_loss(), 0.0);
    let m = check_media(json!({"redundancy_at_loss_percent": 101}));
    assert!(m.contains("media.redundancy_at_loss_percent"), "{m}");
}

#[test]
fn voice_processing_keys_are_booleans_read_from_a_registry_dword() {
    let m = check_media(json!({"noise_suppression": "yes"}));
    assert!(m.contains("media.noise_suppression"), "{m}");
    let reg = |name: &str, n| RegistryValue {
        key: "media".into(),
        name: name.into(),
        data: RegData::Dword(n),
    };
    let v = registry_to_json(&[
        reg("echo_cancellation", 1),
        reg("noise_suppression", 1),
        reg("auto_gain_control", 0),
    ]);
    assert_eq!(
        v,
        json!({"media": {"echo_cancellation": true, "noise_suppression": true, "auto_gain_control": false}})
    );
    assert!(check_value(&v).is_empty(), "{}", messages(&check_value(&v)));
}

#[test]
fn the_profile_applies_when_the_policy_sets_nothing() {
    let profile: EngineConfig = serde_json::from_str(
        r#"{"ice_servers": [{"urls": "turn:lab.example", "username": "u", "credential": "p"}],
            "ice_transport_policy": "relay"}"#,
    )
    .expect("profile");
    let (s, problems) = ice_settings(&MediaPolicy::default(), &profile, no_keychain);
    assert_eq!(problems, []);
    assert_eq!(
        s.servers,
        [IceServer {
            urls: vec!["turn:lab.example".into()],
            username: Some("u".into()),
            credential: Some("p".into())
        }]
    );
    assert_eq!(s.transport_policy, IceTransportPolicy::Relay);
    assert!(!s.include_loopback);
}

#[test]
fn managed_policy_wins_over_the_profile_key_by_key() {
    let profile = EngineConfig {
        ice_servers: vec![entry(&["stun:profile.example"], None, None, None)],
        ice_transport_policy: Some(TransportPolicy::Relay),
        ..EngineConfig::default()
    };
    let p = policy(
        json!({"ice_servers": [{"urls": "stun:policy.example"}], "excluded_interfaces": ["docker*"]}),
    );
    let (s, _) = ice_settings(&p, &profile, no_keychain);
    assert_eq!(s.servers[0].urls, ["stun:policy.example"]);
    assert_eq!(
        s.transport_policy,
        IceTransportPolicy::Relay,
        "the policy does not set it: the profile's"
    );
    assert_eq!(s.excluded_interfaces, ["docker*"]);

    let p = policy(json!({"ice_servers": [], "ice_transport_policy": "all"}));
    let (s, problems) = ice_settings(&p, &profile, no_keychain);
    assert_eq!(s.servers, [], "an empty list set by IT means no servers");
    assert_eq!(s.transport_policy, IceTransportPolicy::All);
    assert_eq!(problems, []);
}

#[test]
fn a_credential_ref_is_read_through_the_lookup() {
    let p = policy(
        json!({"ice_servers": [{"urls": "turns:t.example", "username": "agent", "credential_ref": "corp-turn"}]}),
    );
    let secrets = HashMap::from([("corp-turn".to_owned(), "s3cret".to_owned())]);
    let (s, problems) = ice_settings(&p, &EngineConfig::default(), |r: &str| {
        Ok::<_, Infallible>(secrets.get(r).cloned())
    });
    assert_eq!(problems, []);
    assert_eq!(s.servers[0].credential.as_deref(), Some("s3cret"));
    assert_eq!(s.servers[0].username.as_deref(), Some("agent"));
}

#[test]
fn a_missing_keychain_entry_is_a_problem_and_the_server_is_still_tried() {
    let p = policy(json!({"ice_servers": [
        {"urls": "stun:s.example"},
        {"urls": "turns:t.example", "username": "agent", "credential_ref": "corp-turn"}]}));
    let (s, problems) = ice_settings(&p, &EngineConfig::default(), no_keychain);
    assert_eq!(s.servers.len(), 2);
    assert_eq!(s.servers[1].credential, None);
    assert_eq!(
        problems,
        [IceProblem::CredentialNotFound {
            key: "media.ice_servers[1].credential_ref".into(),
            account: "turn:corp-turn".into()
        }]
    );
    assert!(problems[0].to_string().starts_with(
        "media.ice_servers[1].credential_ref: the keychain has no entry turn:corp-turn (service app.lifeline.softphone)"
    ));

    let (s, problems) = ice_settings(&p, &EngineConfig::default(), |_: &str| {
        Err::<Option<String>, _>("the keychain is locked")
    });
    assert_eq!(s.servers.len(), 2);
    assert_eq!(
        problems,
        [IceProblem::KeychainFailed {
            key: "media.ice_servers[1].credential_ref".into(),
            detail: "the keychain is locked".into()
        }]
    );
}

#[test]
fn bad_profile_entries_are_reported_and_only_their_bad_urls_left_out() {
    let profile = EngineConfig {
        ice_servers: vec![
            entry(&["turn:", "turn:t.example"], Some("u"), None, None),
            entry(&["ftp://x"], None, None, None),
        ],
        ..EngineConfig::default()
    };
    let (s, problems) = ice_settings(&MediaPolicy::default(), &profile, no_keychain);
    assert_eq!(s.servers.len(), 1);
    assert_eq!(s.servers[0].urls, ["turn:t.example"]);
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "sign-in profile ice_servers[0].urls[0]: 'turn:' needs a host (turn:host[:port][?transport=udp|tcp])",
            "sign-in profile ice_servers[0]: a TURN server needs credentials: set credential or credential_ref",
            "sign-in profile ice_servers[1].urls[0]: 'ftp://x' has an unknown scheme; use stun:host[:port], \
             turn:host[:port][?transport=udp|tcp] or turns:host[:port][?transport=tcp]",
        ]
    );
}

#[test]
fn relay_without_a_turn_server_is_a_problem() {
    let p = policy(
        json!({"ice_servers": [{"urls": "stun:s.example"}], "ice_transport_policy": "relay"}),
    );
    let (s, problems) = ice_settings(&p, &EngineConfig::default(), no_keychain);
    assert_eq!(s.transport_policy, IceTransportPolicy::Relay);
    assert_eq!(
        problems,
        [IceProblem::RelayWithoutTurn {
            key: "media.ice_transport_policy".into()
        }]
    );
}

#[test]
fn the_keychain_lookup_reads_the_turn_account_under_the_app_service() {
    let store = keyring_core::mock::Store::new().expect("mock store");
    let keychain = Keychain::with_store(store, SERVICE);
    keychain
        .save(&turn_account("corp-turn"), "s3cret")
        .expect("save");
    keychain.save("corp-turn", "not this one").expect("save");
    let lookup = keychain_lookup(&keychain);
    assert_eq!(
        lookup("corp-turn").expect("read"),
        Some("s3cret".to_owned())
    );
    assert_eq!(lookup("absent").expect("read"), None);
    let p = policy(
        json!({"ice_servers": [{"urls": "turn:t.example", "username": "u", "credential_ref": "corp-turn"}]}),
    );
    let (s, problems) = ice_settings(&p, &EngineConfig::default(), keychain_lookup(&keychain));
    assert_eq!(
        (s.servers[0].credential.as_deref(), problems),
        (Some("s3cret"), vec![])
    );
}
