//! `policy show`: each setting's value and the source that set it.

use serde_json::json;

use super::show::{show, SourceKind};
use super::sources::registry::{registry_source, registry_to_json, RegData};
use super::tests::{doc, reg};

#[test]
fn a_registry_value_is_shown_with_the_registry_as_its_source() {
    let registry = registry_to_json(&[
        reg("emergency", "lock_minutes", RegData::Dword(45)),
        reg("sip", "server", RegData::Sz("wss://sip.example.com".into())),
    ]);
    let shown = show(&[doc(&registry_source(), registry)], None);
    let lock = &shown.settings["emergency.lock_minutes"];
    assert_eq!(lock.value, json!(45));
    assert_eq!(lock.source, SourceKind::Registry);
    assert_eq!(
        lock.location.as_deref(),
        Some(r"HKLM\SOFTWARE\Policies\Lifeline")
    );
    assert_eq!(shown.settings["sip.server"].source, SourceKind::Registry);
    assert_eq!(shown.settings["ui.locale"].source, SourceKind::Default);
}

#[test]
fn unset_keys_show_their_default_and_every_schema_leaf_is_listed() {
    let shown = show(&[], None);
    let lock = &shown.settings["emergency.lock_minutes"];
    assert_eq!(lock.source, SourceKind::Default);
    assert_eq!(lock.value, json!(30));
    assert_eq!(lock.location, None);
    let leaves = super::schema::leaf_keys(super::schema::policy_schema()).len();
    assert_eq!(shown.settings.len(), leaves);
}

#[test]
fn a_later_file_wins_over_an_earlier_one_and_managed_wins_over_the_user() {
    let shown = show(
        &[
            doc(
                "/etc/lifeline/policy.json",
                json!({"emergency": {"lock_minutes": 40}}),
            ),
            doc(
                "/etc/lifeline/policy.d/50-lock.json",
                json!({"emergency": {"lock_minutes": 50}}),
            ),
            doc(
                "/tmp/site.plist",
                json!({"sip": {"server": "wss://a.example"}}),
            ),
        ],
        Some(&doc(
            "settings.json",
            json!({"emergency": {"lock_minutes": 20}, "ui": {"locale": "fr-CA"}}),
        )),
    );
    let lock = &shown.settings["emergency.lock_minutes"];
    assert_eq!(
        (lock.source, lock.value.clone()),
        (SourceKind::File, json!(50))
    );
    assert_eq!(
        lock.location.as_deref(),
        Some("/etc/lifeline/policy.d/50-lock.json")
    );
    assert_eq!(shown.settings["sip.server"].source, SourceKind::Plist);
    let locale = &shown.settings["ui.locale"];
    assert_eq!(
        (locale.source, locale.value.clone()),
        (SourceKind::User, json!("fr-CA"))
    );
}

#[test]
fn a_refused_value_falls_back_to_the_default_with_a_warning() {
    let registry = registry_to_json(&[reg("emergency", "lock_minutes", RegData::Dword(500))]);
    let shown = show(&[doc(&registry_source(), registry)], None);
    let lock = &shown.settings["emergency.lock_minutes"];
    assert_eq!(
        (lock.source, lock.value.clone()),
        (SourceKind::Default, json!(30))
    );
    let warnings: Vec<String> = shown.warnings.iter().map(ToString::to_string).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("emergency.lock_minutes")),
        "{warnings:?}"
    );
}
