//! `lifeline-headless policy show`: every setting's effective value and where it came from — IT's first
//! question when a machine does not behave as the policy says ("is my registry value even read?").
//!
//! The value is the one [`load_effective`] starts the engine with; the source is the last managed document
//! that set the key and kept it (a key dropped with a warning does not count), else the user's settings,
//! else the built-in default. Sources are named by kind (`registry`, `plist`, `file`, `user`, `default`) and
//! by where (`HKLM\SOFTWARE\Policies\Lifeline`, a path), so one format serves every platform.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::effective::{load_effective, sanitize, PolicyWarning, SourceDoc};
use super::schema::{leaf_keys, policy_schema};
use super::sources::registry::registry_source;

/// What kind of place a setting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SourceKind {
    /// Windows: `HKLM\SOFTWARE\Policies\Lifeline` (Group Policy, Intune).
    Registry,
    /// macOS managed preferences (a `.plist`, or a `.mobileconfig` given with `--policy`).
    Plist,
    /// A JSON policy file: `/etc/lifeline/...`, or `--policy FILE` / `--dir DIR`.
    File,
    /// The user's own settings.
    User,
    /// Nobody set it: the built-in default.
    Default,
}

impl SourceKind {
    /// The kind of a managed document, from the name its reader gave it.
    pub fn of_managed(source: &str) -> Self {
        let lower = source.to_ascii_lowercase();
        if source == registry_source() {
            Self::Registry
        } else if lower.ends_with(".plist") || lower.ends_with(".mobileconfig") {
            Self::Plist
        } else {
            Self::File
        }
    }
}

/// One setting as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShownSetting {
    pub value: Value,
    pub source: SourceKind,
    /// Where exactly (registry key, file path); absent for defaults.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// The whole answer: every leaf key (dotted) in order, and the warnings start-up would show.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyShow {
    pub settings: BTreeMap<String, ShownSetting>,
    pub warnings: Vec<PolicyWarning>,
}

/// Builds the answer for these managed documents (in precedence order, later wins) over these user settings.
pub fn show(managed_docs: &[SourceDoc], user: Option<&SourceDoc>) -> PolicyShow {
    let eff = load_effective(managed_docs, user);
    let schema = policy_schema();
    let values = serde_json::to_value(&eff.policy).unwrap_or(Value::Object(Map::new()));

    // Who set each key: later managed documents override earlier ones. Sanitizing again here only decides
    // which keys a document really contributes; the warnings are load_effective's.
    let mut scratch = Vec::new();
    let mut managed_by: BTreeMap<String, String> = BTreeMap::new();
    for d in managed_docs {
        if let Ok(v) = &d.doc {
            let clean = sanitize(v.clone(), "", schema, &mut scratch);
            for key in leaves_present(&clean) {
                managed_by.insert(key, d.source.clone());
            }
        }
    }
    let user_keys: Vec<String> = match user.map(|u| &u.doc) {
        Some(Ok(v)) => leaves_present(&sanitize(v.clone(), "", schema, &mut scratch)),
        _ => Vec::new(),
    };

    let mut settings = BTreeMap::new();
    for (key, _) in leaf_keys(schema) {
        let value = lookup(&values, &key).cloned().unwrap_or(Value::Null);
        let (source, location) = match managed_by.get(&key) {
            Some(loc) if eff.is_managed(&key) => (SourceKind::of_managed(loc), Some(loc.clone())),
            _ if user_keys.contains(&key) => (SourceKind::User, user.map(|u| u.source.clone())),
            _ => (SourceKind::Default, None),
        };
        settings.insert(
            key,
            ShownSetting {
                value,
                source,
                location,
            },
        );
    }
    PolicyShow {
        settings,
        warnings: eff.warnings,
    }
}

/// The dotted leaf keys a document sets (a section present with keys in it counts as its keys).
fn leaves_present(doc: &Value) -> Vec<String> {
    leaf_keys(policy_schema())
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| lookup(doc, k).is_some())
        .collect()
}

fn lookup<'a>(doc: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted.split('.').try_fold(doc, |node, seg| node.get(seg))
}
