//! The committed MDM files (schema, ADMX/ADML, sample .mobileconfig) stay in step with the policy types, and
//! the schema's mirrors agree with the tables they describe.

use serde_json::{json, Value};

use super::check::{check_value, ANNOTATIONS, SUPPORTED_KEYWORDS};
use super::schema::{leaf_keys, policy_schema, policy_schema_text};
use super::sources::plist::mobileconfig_payload;
use super::tests::{mdm_dir, messages};
use super::{admx, Policy};
use crate::api::Presence;
use crate::emergency::policy::EmergencyPolicy;
use crate::location::policy::LocationPolicy;
use crate::notify::NotifyPolicy;

/// Compares a committed file with what the code generates; `LIFELINE_BLESS=1` rewrites it.
fn assert_committed(rel: &str, generated: &str) {
    let path = mdm_dir().join(rel);
    if std::env::var_os("LIFELINE_BLESS").is_some() {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, generated).expect("write");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "assets/mdm/{rel} is out of date with the policy types: run `LIFELINE_BLESS=1 cargo test -p lifeline-engine policy` and commit it"
    );
}

#[test]
fn committed_schema_is_the_one_generated_from_the_types() {
    assert_committed("lifeline-policy.schema.json", &policy_schema_text());
}

#[test]
fn committed_admx_and_adml_are_the_ones_generated_from_the_types() {
    assert_committed("lifeline.admx", &admx::admx());
    assert_committed("en-US/lifeline.adml", &admx::adml_en_us());
}

#[test]
fn admx_lists_every_leaf_key_of_the_schema_with_its_string() {
    let schema = policy_schema();
    let admx = std::fs::read_to_string(mdm_dir().join("lifeline.admx")).expect("admx committed");
    let adml =
        std::fs::read_to_string(mdm_dir().join("en-US/lifeline.adml")).expect("adml committed");
    let leaves = leaf_keys(schema);
    assert!(leaves.len() >= 20, "{}", leaves.len());
    for (key, _) in leaves {
        let id = key.replace('.', "_");
        assert!(
            admx.contains(&format!(r#"<policy name="{id}""#)),
            "ADMX lacks {key}"
        );
        let value_name = key.rsplit('.').next().expect("name");
        assert!(
            admx.contains(&format!(r#"valueName="{value_name}""#)),
            "ADMX lacks value {value_name}"
        );
        assert!(
            adml.contains(&format!(r#"<string id="{id}_Explain">"#)),
            "ADML lacks {key}"
        );
    }
}

#[test]
fn sample_mobileconfig_payload_is_a_valid_policy_that_sets_every_section() {
    let path = mdm_dir().join("lifeline.mobileconfig");
    let bytes = std::fs::read(&path).expect("mobileconfig committed");
    let v = mobileconfig_payload(&bytes, "lifeline.mobileconfig").expect("payload");
    assert!(check_value(&v).is_empty(), "{}", messages(&check_value(&v)));
    let schema = policy_schema();
    let sections: Vec<&String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .expect("sections")
        .keys()
        .collect();
    assert!(sections.len() >= 8, "{sections:?}");
    for section in sections {
        assert!(v.get(section).is_some(), "sample lacks {section}");
    }
    let p: Policy = serde_json::from_value(v).expect("policy");
    assert_eq!(p.emergency.lock_minutes, 45);
    let servers = p
        .media
        .ice_servers
        .expect("the sample sets media.ice_servers");
    assert_eq!(
        servers[1].urls.as_slice().len(),
        2,
        "a list of URLs in a plist array"
    );
    assert_eq!(servers[1].credential_ref.as_deref(), Some("corp-turn"));
}

#[test]
fn schema_uses_only_keywords_the_checker_understands_and_every_pattern_compiles() {
    fn visit(v: &Value, in_props: bool, found: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                for (k, child) in o {
                    if in_props {
                        visit(child, false, found);
                        continue;
                    }
                    if k == "pattern" {
                        regex::Regex::new(child.as_str().expect("pattern string"))
                            .expect("pattern compiles");
                    }
                    if !SUPPORTED_KEYWORDS.contains(&k.as_str())
                        && !ANNOTATIONS.contains(&k.as_str())
                    {
                        found.push(k.clone());
                    }
                    if k != "default"
                        && k != "examples"
                        && k != "enum"
                        && k != "const"
                        && k != "required"
                    {
                        visit(child, k == "properties" || k == "$defs", found);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| visit(x, false, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    visit(policy_schema(), false, &mut found);
    assert!(found.is_empty(), "keywords the checker ignores: {found:?}");
}

#[test]
fn schema_mirrors_have_exactly_the_keys_of_the_emergency_location_and_notify_tables() {
    let schema = policy_schema();
    // Every leaf of the real default value (descending into objects) is a leaf of the schema, and back.
    fn leaves_of(v: &Value, prefix: &str, out: &mut Vec<String>) {
        match v.as_object() {
            Some(o) if !o.is_empty() => o
                .iter()
                .for_each(|(k, c)| leaves_of(c, &format!("{prefix}.{k}"), out)),
            _ => out.push(prefix.to_owned()),
        }
    }
    for (section, real) in [
        (
            "emergency",
            serde_json::to_value(EmergencyPolicy::default()).expect("ser"),
        ),
        (
            "location",
            serde_json::to_value(LocationPolicy::default()).expect("ser"),
        ),
        (
            "notify",
            serde_json::to_value(NotifyPolicy::default()).expect("ser"),
        ),
    ] {
        let mut real_keys = Vec::new();
        leaves_of(&real, section, &mut real_keys);
        real_keys.sort();
        let mut schema_keys: Vec<String> = leaf_keys(schema)
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| k.starts_with(&format!("{section}.")))
            .collect();
        schema_keys.sort();
        assert_eq!(real_keys, schema_keys, "{section}");
    }
    // The optional tables' own fields, through a full value.
    let smtp: Value = serde_json::from_str(
        r#"{"host":"h","from":"a@b","port":1,"tls":"tls","user":"u","password_ref":"p","ca_file":"/c"}"#,
    )
    .expect("json");
    let real: crate::notify::SmtpPolicy =
        serde_json::from_value(smtp.clone()).expect("engine accepts");
    assert_eq!(
        serde_json::to_value(real)
            .expect("ser")
            .as_object()
            .map(|o| o.len()),
        smtp.as_object().map(|o| o.len())
    );
    assert!(check_value(&json!({"notify": {"smtp": smtp}})).is_empty());
}

#[test]
fn schema_and_engine_agree_on_every_lock_minutes_and_status_during() {
    for m in 0..=200u32 {
        let by_schema = check_value(&json!({"emergency": {"lock_minutes": m}})).is_empty();
        let by_engine = EmergencyPolicy {
            lock_minutes: m,
            ..Default::default()
        }
        .validate()
        .is_ok();
        assert_eq!(by_schema, by_engine, "lock_minutes {m}");
    }
    for p in [
        Presence::Available,
        Presence::Busy,
        Presence::DoNotDisturb,
        Presence::Away,
        Presence::WorkingOffline,
    ] {
        let v = serde_json::to_value(p).expect("ser");
        let by_schema = check_value(&json!({"emergency": {"status_during": v}})).is_empty();
        let by_engine = EmergencyPolicy {
            status_during: p,
            ..Default::default()
        }
        .validate()
        .is_ok();
        assert_eq!(by_schema, by_engine, "{p:?}");
    }
}

#[test]
fn schema_defaults_are_the_engine_defaults() {
    let schema = policy_schema();
    let defaults = serde_json::to_value(Policy::default()).expect("ser");
    for (key, prop) in leaf_keys(schema) {
        let pointer = format!("/{}", key.replace('.', "/"));
        assert_eq!(prop.get("default"), defaults.pointer(&pointer), "{key}");
    }
}

#[test]
fn schema_and_engine_agree_on_the_additional_data_values() {
    use crate::emergency::additional_data::AdditionalDataPolicy;
    let samples = [
        json!({"organisation": "Acme <Support> & Co"}),
        json!({"organisation": "Acme\u{7}"}),
        json!({"organisation": "   "}),
        json!({"organisation": "x".repeat(257)}),
        json!({"contact_tel": "+15125550100"}),
        json!({"contact_tel": "5125550100"}),
        json!({"contact_tel": "+1234567"}),
        json!({"contact_uri": "sip:desk@acme.example"}),
        json!({"contact_uri": "SIPS:desk@acme.example"}),
        json!({"contact_uri": "https://acme.example"}),
        json!({"contact_uri": "sip:desk <x>"}),
        json!({"contact_email": "desk@acme.example"}),
        json!({"contact_email": "desk@acme"}),
        json!({"contact_email": "a@b@c.d"}),
        json!({"contact_email": "desk\u{7}@acme.example"}),
        json!({"languages": ["en", "fr-CA", "zh-Hant-TW"]}),
        json!({"languages": ["english language"]}),
        json!({"languages": ["a", "b", "c", "d", "e", "f", "g", "h", "i"]}),
        json!({"device_classification": "laptop"}),
        json!({"device_classification": "softphone"}),
        json!({"service_type": "mlts_local"}),
        json!({"service_type": "voip"}),
    ];
    for sample in samples {
        let by_schema =
            check_value(&json!({"emergency": {"additional_data": sample.clone()}})).is_empty();
        let by_engine = serde_json::from_value::<AdditionalDataPolicy>(sample.clone())
            .map(|p| p.validate().is_ok())
            .unwrap_or(false);
        assert_eq!(by_schema, by_engine, "{sample}");
    }
}
