//! Tests of the managed policy: checking, precedence and fallback, and each source (MDM files: mdm_tests.rs).

use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::{json, Value};

use super::check::{check_value, PolicyError};
use super::effective::{load_effective, SourceDoc};
use super::sources::etc::read_policy_dir;
use super::sources::plist::plist_to_json;
use super::sources::registry::{registry_to_json, RegData, RegistryValue};
use super::{check_text, Policy};
use crate::api::Presence;

pub(super) fn mdm_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/mdm")
}

pub(super) fn doc(source: &str, v: Value) -> SourceDoc {
    SourceDoc {
        source: source.into(),
        doc: Ok(v),
    }
}

pub(super) fn messages(errs: &[PolicyError]) -> String {
    errs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

// ---- policy check ----

#[test]
fn an_empty_document_is_the_default_policy() {
    assert_eq!(check_text("{}", "t").expect("valid"), Policy::default());
    let with_schema = r#"{"$schema": "./lifeline-policy.schema.json"}"#;
    assert_eq!(
        check_text(with_schema, "t").expect("$schema is for editors"),
        Policy::default()
    );
}

#[test]
fn a_wrong_type_names_the_key_the_value_and_what_is_allowed() {
    let errs = check_text(r#"{"emergency":{"lock_minutes":"thirty"}}"#, "t").expect_err("invalid");
    let m = messages(&errs);
    assert!(m.contains("emergency.lock_minutes"), "{m}");
    assert!(m.contains(r#""thirty""#), "{m}");
    assert!(m.contains("a whole number from 5 to 120"), "{m}");
}

#[test]
fn an_out_of_range_value_names_the_range() {
    let m =
        messages(&check_text(r#"{"emergency":{"lock_minutes":121}}"#, "t").expect_err("invalid"));
    assert!(
        m.contains(
            "emergency.lock_minutes: 121 is not allowed; allowed: a whole number from 5 to 120"
        ),
        "{m}"
    );
    let m = messages(
        &check_text(
            r#"{"notify":{"smtp":{"host":"h","from":"a@b","tls":"ssl"}}}"#,
            "t",
        )
        .expect_err("invalid"),
    );
    assert!(
        m.contains(
            r#"notify.smtp.tls: "ssl" is not allowed; allowed: one of "none", "starttls", "tls""#
        ),
        "{m}"
    );
}

#[test]
fn an_unknown_key_is_an_error_with_a_suggestion() {
    let m = messages(&check_text(r#"{"emergency":{"lock_minuts":30}}"#, "t").expect_err("invalid"));
    assert!(
        m.contains("emergency.lock_minuts: unknown key (did you mean emergency.lock_minutes?)"),
        "{m}"
    );
    let m = messages(&check_text(r#"{"lock_minutes":30}"#, "t").expect_err("invalid"));
    assert!(
        m.contains("lock_minutes: unknown key (did you mean emergency.lock_minutes?)"),
        "{m}"
    );
    let m = messages(&check_text(r#"{"zzz":1}"#, "t").expect_err("invalid"));
    assert_eq!(m, "zzz: unknown key");
}

#[test]
fn broken_json_names_the_line_and_column() {
    let m = messages(
        &check_text(
            "{\n  \"emergency\": {\n    \"lock_minutes\": 30,\n  }\n}",
            "f.json",
        )
        .expect_err("bad"),
    );
    assert!(
        m.starts_with("f.json: not valid JSON at line 4, column 3"),
        "{m}"
    );
}

#[test]
fn engine_checks_reject_a_non_dispatchable_address_without_echoing_it() {
    let errs = check_text(
        r#"{"location":{"address":{"country":"US","RD":"Secret Street"}}}"#,
        "t",
    )
    .expect_err("bad");
    let m = messages(&errs);
    assert!(m.starts_with("location.address: "), "{m}");
    assert!(!m.contains("Secret Street"), "{m}");
    let errs = check_text(
        r#"{"location":{"networks":[{"cidr":"10.0.0.0/99","address":{"country":"GB"}}]}}"#,
        "t",
    )
    .expect_err("bad");
    assert!(
        messages(&errs).starts_with("location.networks[0]"),
        "{}",
        messages(&errs)
    );
}

#[test]
fn a_full_policy_checks_clean() {
    let v = json!({
        "emergency": {"number_mismatch": "block", "lock_minutes": 60, "status_during": "working_offline",
                      "callback_from": ["sip:psap@lifeline.lab", "+1555*"], "keep_redial_entry": true},
        "location": {"held_url": "http://127.0.0.1:8091/held", "prompt_unknown_network": false,
                     "networks": [{"cidr": "10.1.0.0/16", "label": "Austin",
                                   "address": {"country": "US", "A1": "TX", "A3": "Austin", "RD": "Congress", "HNO": "100"}}]},
        "sip": {"server": "wss://sip.example.com", "domain": "example.com", "emergency_line": "+15125550100", "outside_prefix": "9"},
        "notify": {"smtp": {"host": "smtp.example.com", "port": 465, "tls": "tls", "from": "lifeline@example.com",
                            "user": "lifeline", "password_ref": "lifeline-smtp"},
                   "email_to": ["security@example.com"], "webhooks": [{"url": "https://hooks.example.com/x", "format": "teams"}]},
        "audit": {"url": "https://audit.example.com/events"},
        "agreement": {"version": "2026-11", "text": {"en": "Call 911 from your desk.", "fr-CA": "Composez le 911."}},
        "ui": {"locale": "fr-CA"}
    });
    assert!(check_value(&v).is_empty(), "{}", messages(&check_value(&v)));
}

// ---- precedence and fallback ----

#[test]
fn managed_policy_wins_over_user_settings_which_win_over_defaults() {
    let managed = [doc(
        "policy.json",
        json!({"emergency": {"lock_minutes": 60}, "ui": {"locale": "de"}}),
    )];
    let user = doc(
        "settings",
        json!({"emergency": {"lock_minutes": 10, "keep_redial_entry": true}, "ui": {"locale": "fr"}}),
    );
    let eff = load_effective(&managed, Some(&user));
    assert!(eff.warnings.is_empty(), "{:?}", eff.warnings);
    assert_eq!(eff.policy.emergency.lock_minutes, 60, "managed beats user");
    assert_eq!(eff.policy.ui.locale.as_deref(), Some("de"));
    assert!(
        eff.policy.emergency.keep_redial_entry,
        "user beats default where not managed"
    );
    assert_eq!(
        eff.policy.emergency.status_during,
        Presence::DoNotDisturb,
        "default where nobody set it"
    );
    assert!(eff.is_managed("emergency.lock_minutes"));
    assert!(eff.is_managed("ui.locale"));
    assert!(!eff.is_managed("emergency.keep_redial_entry"));
    assert!(
        !eff.is_managed("emergency"),
        "a section is managed key by key"
    );
}

#[test]
fn later_managed_documents_override_earlier_ones_key_by_key_and_leaves_whole() {
    let a = doc(
        "a",
        json!({"notify": {"templates": {"email_subject": "A", "chat_text": "a"}, "email_to": ["a@x.y", "b@x.y"]},
                            "location": {"address": {"country": "GB", "A3": "London", "RD": "Strand", "HNO": "1", "PC": "WC2N 5DN"}}}),
    );
    let b = doc(
        "b",
        json!({"notify": {"templates": {"email_subject": "B"}, "email_to": ["c@x.y"]},
                            "location": {"address": {"country": "DE", "A3": "Berlin", "RD": "Unter den Linden", "HNO": "1", "PC": "10117"}}}),
    );
    let eff = load_effective(&[a, b], None);
    assert!(eff.warnings.is_empty(), "{:?}", eff.warnings);
    assert_eq!(
        eff.policy.notify.templates.email_subject.as_deref(),
        Some("B")
    );
    assert_eq!(
        eff.policy.notify.templates.chat_text.as_deref(),
        Some("a"),
        "sections merge key by key"
    );
    assert_eq!(
        eff.policy.notify.email_to,
        vec!["c@x.y".to_owned()],
        "lists are replaced whole"
    );
    let addr = eff.policy.location.address.as_ref().expect("address");
    assert_eq!(addr.country, "DE");
    assert_eq!(
        addr.fields.len(),
        4,
        "an address is replaced whole, never mixed with another"
    );
    assert!(eff.is_managed("location.address"));
    assert!(eff.is_managed("location.address.RD"));
}

#[test]
fn a_bad_managed_key_falls_back_to_the_user_setting_or_default_with_a_warning() {
    let managed = [doc(
        "policy.json",
        json!({"emergency": {"lock_minutes": 1000, "status_during": "available", "keep_redial_entry": true},
                                             "ui": {"locale": 5}, "bogus": true}),
    )];
    let user = doc("settings", json!({"ui": {"locale": "fr"}}));
    let eff = load_effective(&managed, Some(&user));
    assert_eq!(
        eff.policy.emergency.lock_minutes, 30,
        "out of range -> default, never off"
    );
    assert_eq!(eff.policy.emergency.status_during, Presence::DoNotDisturb);
    assert!(
        eff.policy.emergency.keep_redial_entry,
        "the good keys of the same source still apply"
    );
    assert_eq!(
        eff.policy.ui.locale.as_deref(),
        Some("fr"),
        "falls back to the user's setting"
    );
    assert!(!eff.is_managed("emergency.lock_minutes"));
    let text: Vec<String> = eff.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 4, "{text:?}");
    assert!(
        text.iter()
            .any(|w| w.starts_with("policy.json: emergency.lock_minutes: 1000 is not allowed")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|w| w.contains("bogus: unknown key")),
        "{text:?}"
    );
}

#[test]
fn one_bad_list_entry_drops_only_that_entry() {
    let managed = [doc(
        "p",
        json!({"notify": {"webhooks": [{"url": "https://ok.example/1"}, {"url": "ftp://bad"}, {"format": "slack"},
                                                           {"url": "https://ok.example/2", "format": "slack"}]},
                                   "emergency": {"callback_from": ["sip:psap@lifeline.lab", " ", "911"]}}),
    )];
    let eff = load_effective(&managed, None);
    let urls: Vec<&str> = eff
        .policy
        .notify
        .webhooks
        .iter()
        .map(|w| w.url.as_str())
        .collect();
    assert_eq!(urls, ["https://ok.example/1", "https://ok.example/2"]);
    assert_eq!(
        eff.policy.emergency.callback_from,
        ["sip:psap@lifeline.lab", "911"]
    );
    assert_eq!(eff.warnings.len(), 3, "{:?}", eff.warnings);
}

#[test]
fn an_unreadable_source_is_a_warning_and_the_others_still_apply() {
    let broken = SourceDoc {
        source: "x.json".into(),
        doc: Err(PolicyError::Syntax {
            source_name: "x.json".into(),
            line: 1,
            column: 2,
            message: "EOF".into(),
        }),
    };
    let eff = load_effective(
        &[
            broken,
            doc("y.json", json!({"emergency": {"lock_minutes": 15}})),
        ],
        None,
    );
    assert_eq!(eff.policy.emergency.lock_minutes, 15);
    assert_eq!(eff.warnings.len(), 1);
    assert!(eff.warnings[0]
        .to_string()
        .contains("this source is ignored"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever IT writes in `emergency`, the engine ends with an emergency policy it accepts.
    #[test]
    fn any_emergency_table_yields_a_valid_emergency_policy(
        lock in prop_oneof![any::<i64>().prop_map(Value::from), any::<bool>().prop_map(Value::from), "[a-z]{0,5}".prop_map(Value::from)],
        status in prop_oneof![Just("available"), Just("busy"), Just("off"), Just("away"), Just("")],
        mismatch in prop_oneof![Just("map"), Just("block"), Just("never")],
        patterns in proptest::collection::vec("[ a-z+*0-9]{0,4}", 0..4),
        extra in "[a-z_]{1,8}",
    ) {
        let v = json!({"emergency": {"lock_minutes": lock, "status_during": status, "number_mismatch": mismatch,
                                      "callback_from": patterns, extra: 1}});
        let eff = load_effective(&[doc("p", v)], None);
        prop_assert!(eff.policy.emergency.validate().is_ok());
    }

    /// Any JSON value at any top-level key never makes loading fail or panic.
    #[test]
    fn any_json_under_any_section_loads(section in prop_oneof![Just("emergency"), Just("location"), Just("sip"), Just("notify"), Just("zz")],
                                       n in any::<i64>(), s in ".{0,12}", b in any::<bool>()) {
        for v in [json!(n), json!(s.clone()), json!(b), json!([n, s.clone()]), json!({"k": n}), Value::Null] {
            let eff = load_effective(&[doc("p", json!({section: v}))], None);
            prop_assert!(eff.policy.emergency.validate().is_ok());
            prop_assert!(eff.policy.location.validate().is_ok());
        }
    }
}

// ---- sources ----

#[test]
fn etc_reader_merges_policy_json_then_policy_d_in_name_order() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    std::fs::create_dir(root.join("policy.d")).expect("mkdir");
    std::fs::write(
        root.join("policy.json"),
        r#"{"emergency":{"lock_minutes":20,"keep_redial_entry":true},"ui":{"locale":"en"}}"#,
    )
    .expect("w");
    std::fs::write(
        root.join("policy.d/20-late.json"),
        r#"{"emergency":{"lock_minutes":90}}"#,
    )
    .expect("w");
    std::fs::write(
        root.join("policy.d/10-early.json"),
        r#"{"emergency":{"lock_minutes":40},"ui":{"locale":"de"}}"#,
    )
    .expect("w");
    std::fs::write(root.join("policy.d/15-broken.json"), "{\"ui\": ").expect("w");
    std::fs::write(root.join("policy.d/README.txt"), "not json").expect("w");
    let docs = read_policy_dir(root);
    let names: Vec<String> = docs
        .iter()
        .map(|d| {
            std::path::Path::new(&d.source)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        names,
        [
            "policy.json",
            "10-early.json",
            "15-broken.json",
            "20-late.json"
        ]
    );
    let eff = load_effective(&docs, None);
    assert_eq!(eff.policy.emergency.lock_minutes, 90);
    assert!(eff.policy.emergency.keep_redial_entry);
    assert_eq!(eff.policy.ui.locale.as_deref(), Some("de"));
    assert_eq!(eff.warnings.len(), 1, "{:?}", eff.warnings);
    assert!(
        eff.warnings[0]
            .to_string()
            .contains("15-broken.json: not valid JSON at line 1"),
        "{}",
        eff.warnings[0]
    );
}

#[test]
fn etc_reader_with_no_directory_is_no_policy() {
    let dir = tempfile::tempdir().expect("tmp");
    assert!(read_policy_dir(&dir.path().join("absent")).is_empty());
}

pub(super) fn reg(key: &str, name: &str, data: RegData) -> RegistryValue {
    RegistryValue {
        key: key.into(),
        name: name.into(),
        data,
    }
}

#[test]
fn registry_values_become_the_policy_tree_by_type() {
    let values = [
        reg("emergency", "lock_minutes", RegData::Dword(45)),
        reg("Emergency", "Keep_Redial_Entry", RegData::Dword(1)),
        reg("emergency", "status_during", RegData::Sz("busy".into())),
        reg(
            "emergency",
            "callback_from",
            RegData::MultiSz(vec!["sip:psap@lifeline.lab".into(), "911".into()]),
        ),
        reg(
            "notify",
            "smtp",
            RegData::Sz(r#"{"host":"127.0.0.1","port":2525,"tls":"none","from":"l@lab"}"#.into()),
        ),
        reg(
            r"notify\templates",
            "chat_text",
            RegData::Sz("Emergency call".into()),
        ),
        reg("notify", "email_to", RegData::Sz("it@example.com".into())),
        reg(
            "notify",
            "webhooks",
            RegData::Sz(r#"[{"url":"https://h.example/x","format":"slack"}]"#.into()),
        ),
        reg(
            "location",
            "prompt_unknown_network",
            RegData::Sz("false".into()),
        ),
        reg("sip", "server", RegData::Sz("wss://sip.example.com".into())),
    ];
    let v = registry_to_json(&values);
    assert_eq!(
        v,
        json!({"emergency": {"lock_minutes": 45, "keep_redial_entry": true, "status_during": "busy",
                             "callback_from": ["sip:psap@lifeline.lab", "911"]},
               "notify": {"smtp": {"host": "127.0.0.1", "port": 2525, "tls": "none", "from": "l@lab"},
                          "templates": {"chat_text": "Emergency call"}, "email_to": ["it@example.com"],
                          "webhooks": [{"url": "https://h.example/x", "format": "slack"}]},
               "location": {"prompt_unknown_network": false},
               "sip": {"server": "wss://sip.example.com"}})
    );
    assert!(check_value(&v).is_empty(), "{}", messages(&check_value(&v)));
}

#[test]
fn registry_values_that_do_not_convert_are_reported_by_key() {
    let values = [
        reg("emergency", "keep_redial_entry", RegData::Dword(7)),
        reg("emergency", "lock_minute", RegData::Dword(30)),
        reg("location", "address", RegData::Sz("{not json".into())),
        reg("sip", "domain", RegData::Other("REG_BINARY".into())),
    ];
    let m = messages(&check_value(&registry_to_json(&values)));
    assert!(
        m.contains("emergency.keep_redial_entry: 7 is not allowed; allowed: true or false"),
        "{m}"
    );
    assert!(m.contains("did you mean emergency.lock_minutes?"), "{m}");
    assert!(
        m.contains("location.address: this value is not allowed"),
        "{m}"
    );
    assert!(
        m.contains("sip.domain: \"(registry value of type REG_BINARY)\" is not allowed"),
        "{m}"
    );
}

const SAMPLE_PLIST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>PayloadUUID</key><string>6B1D7F1C-0000-4000-8000-000000000001</string>
  <key>emergency</key>
  <dict>
    <key>lock_minutes</key><integer>60</integer>
    <key>keep_redial_entry</key><true/>
    <key>callback_from</key><array><string>sip:psap@lifeline.lab</string></array>
  </dict>
  <key>notify</key>
  <dict>
    <key>smtp</key><dict><key>host</key><string>smtp.example.com</string><key>port</key><integer>587</integer><key>from</key><string>l@example.com</string></dict>
  </dict>
</dict>
</plist>"#;

#[test]
fn managed_preferences_plist_becomes_the_policy_tree() {
    let v = plist_to_json(SAMPLE_PLIST.as_bytes(), "p.plist").expect("plist");
    assert_eq!(
        v,
        json!({"emergency": {"lock_minutes": 60, "keep_redial_entry": true, "callback_from": ["sip:psap@lifeline.lab"]},
               "notify": {"smtp": {"host": "smtp.example.com", "port": 587, "from": "l@example.com"}}})
    );
    assert!(check_value(&v).is_empty());
    let dated = SAMPLE_PLIST.replace("<integer>60</integer>", "<date>2026-01-01T00:00:00Z</date>");
    let e = plist_to_json(dated.as_bytes(), "p.plist").expect_err("dates have no place");
    assert!(e.to_string().contains("date"), "{e}");
    assert!(plist_to_json(b"not a plist", "p.plist").is_err());
}

#[test]
fn managed_preferences_of_the_user_override_the_machine_ones() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("app.lifeline.softphone.plist"),
        SAMPLE_PLIST,
    )
    .expect("w");
    std::fs::create_dir(dir.path().join("agent")).expect("mkdir");
    std::fs::write(
        dir.path().join("agent/app.lifeline.softphone.plist"),
        SAMPLE_PLIST.replace("<integer>60</integer>", "<integer>15</integer>"),
    )
    .expect("w");
    let docs = super::sources::plist::read_managed_preferences(dir.path(), Some("agent"));
    assert_eq!(docs.len(), 2);
    let eff = load_effective(&docs, None);
    assert_eq!(eff.policy.emergency.lock_minutes, 15);
    assert!(eff.is_managed("notify.smtp.host"));
}

#[test]
fn startup_applies_the_extra_policy_file_and_a_missing_user_file_is_no_warning() {
    if std::path::Path::new(super::sources::etc::ETC_DIR).exists()
        || std::env::var_os("LIFELINE_POLICY_DIR").is_some()
    {
        return; // this machine has a real policy; the test assumes none.
    }
    let dir = tempfile::tempdir().expect("tmp");
    let extra = dir.path().join("extra.json");
    std::fs::write(
        &extra,
        r#"{"sip":{"domain":"lifeline.lab"},"emergency":{"lock_minutes":5}}"#,
    )
    .expect("w");
    let eff = super::load_startup(Some(&extra), Some(&dir.path().join("absent-settings.json")));
    assert!(eff.warnings.is_empty(), "{:?}", eff.warnings);
    assert_eq!(eff.policy.sip.domain.as_deref(), Some("lifeline.lab"));
    assert_eq!(eff.policy.emergency.lock_minutes, 5);
    assert!(eff.is_managed("sip.domain"));
}

#[test]
fn effective_policy_serializes_for_the_ui_with_managed_keys_and_warning_texts() {
    let eff = load_effective(
        &[doc(
            "p.json",
            json!({"ui": {"locale": "en"}, "audit": {"url": "nope"}}),
        )],
        None,
    );
    let v = serde_json::to_value(&eff).expect("ser");
    assert_eq!(v["managed"], json!(["ui.locale"]));
    let w = v["warnings"][0].as_str().expect("text");
    assert!(
        w.starts_with(r#"p.json: audit.url: "nope" is not allowed"#),
        "{w}"
    );
    assert!(
        w.ends_with("this key is ignored and its default or the user's setting applies"),
        "{w}"
    );
    assert_eq!(v["policy"]["emergency"]["lock_minutes"], json!(30));
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        prop_oneof![
            Just("map".to_owned()),
            Just("tls".to_owned()),
            Just("US".to_owned()),
            ".{0,10}"
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        let keys = prop_oneof![
            Just("emergency".to_owned()),
            Just("location".to_owned()),
            Just("notify".to_owned()),
            Just("smtp".to_owned()),
            Just("address".to_owned()),
            Just("networks".to_owned()),
            Just("lock_minutes".to_owned()),
            Just("country".to_owned()),
            Just("url".to_owned()),
            "[a-zA-Z_$]{1,6}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(keys, inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Checking and loading are total: any JSON document, as managed policy or as user settings, gives a
    /// policy the engine accepts, and every problem found names a key.
    #[test]
    fn any_json_document_checks_and_loads_to_a_policy_the_engine_accepts(v in arb_json(), u in arb_json()) {
        let errs = check_value(&v);
        prop_assert!(errs.iter().all(|e| e.key().is_some()));
        let eff = load_effective(&[doc("m", v)], Some(&doc("u", u)));
        prop_assert!(eff.policy.emergency.validate().is_ok());
        prop_assert!(eff.policy.location.validate().is_ok());
        prop_assert!(check_value(&serde_json::to_value(&eff.policy).expect("ser")).is_empty());
    }
}
