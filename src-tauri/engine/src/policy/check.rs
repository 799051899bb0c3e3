//! Checking a policy document: the JSON Schema generated from the types (so every key, type, range and
//! allowed value comes from one place), then the engine's own checks (`EmergencyPolicy::validate`,
//! `LocationPolicy::validate`, `MediaPolicy::errors`). Errors name the key, the value and what is allowed.
//!
//! The schema walk ([`super::walk`]) supports exactly the keywords schemars emits for our types, which keeps
//! messages in IT's words and avoids a general validator crate; a pytest cross-checks it against
//! python-jsonschema.

use std::fmt;

use serde_json::Value;

use super::model::Policy;
use super::schema::policy_schema;
use super::walk::walk;
pub use super::walk::{describe, ANNOTATIONS, SUPPORTED_KEYWORDS};
use crate::emergency::policy::EmergencyPolicyError;
use crate::location::policy::LocationPolicyError;

/// One step of a key path: `notify.webhooks[0].url` is `[Key(notify), Key(webhooks), Index(0), Key(url)]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    pub fn key(mut self, k: &str) -> KeyPath {
        self.0.push(Seg::Key(k.to_owned()));
        self
    }
    pub fn index(mut self, i: usize) -> KeyPath {
        self.0.push(Seg::Index(i));
        self
    }
    pub fn parse(dotted: &str) -> KeyPath {
        KeyPath(
            dotted
                .split('.')
                .filter(|s| !s.is_empty())
                .map(|s| Seg::Key(s.to_owned()))
                .collect(),
        )
    }
    pub(super) fn is_private(&self) -> bool {
        // Addresses and TURN passwords are never echoed (they may end up in logs); the key is enough to find
        // the problem.
        matches!(self.0.as_slice(), [Seg::Key(a), Seg::Key(b), ..] if a == "location" && (b == "address" || b == "networks"))
            || super::media::is_secret(self)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(the whole document)");
        }
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// What is wrong with a policy document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    #[error("{source_name}: not valid JSON at line {line}, column {column}: {message}")]
    Syntax {
        source_name: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{source_name}: cannot be read: {message}")]
    Unreadable {
        source_name: String,
        message: String,
    },
    #[error("{key}: unknown key{}", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    UnknownKey {
        key: KeyPath,
        suggestion: Option<String>,
    },
    #[error("{key}: {value} is not allowed; allowed: {allowed}")]
    Invalid {
        key: KeyPath,
        value: String,
        allowed: String,
    },
    #[error("{key}: missing; required: {allowed}")]
    Missing { key: KeyPath, allowed: String },
    #[error("{key}: {reason}")]
    Rejected { key: KeyPath, reason: String },
}

impl PolicyError {
    /// The key the problem is at (none for a file that cannot be read or parsed).
    pub fn key(&self) -> Option<&KeyPath> {
        match self {
            PolicyError::UnknownKey { key, .. }
            | PolicyError::Invalid { key, .. }
            | PolicyError::Missing { key, .. }
            | PolicyError::Rejected { key, .. } => Some(key),
            PolicyError::Syntax { .. } | PolicyError::Unreadable { .. } => None,
        }
    }

    pub fn syntax(source_name: &str, e: &serde_json::Error) -> PolicyError {
        PolicyError::Syntax {
            source_name: source_name.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

/// Parses JSON text, naming the line and column of a syntax error. A top-level `"$schema"` (which editors
/// use to find the schema) is not a policy key and is dropped.
pub fn parse_json(text: &str, source_name: &str) -> Result<Value, PolicyError> {
    let mut v: Value =
        serde_json::from_str(text).map_err(|e| PolicyError::syntax(source_name, &e))?;
    if let Value::Object(o) = &mut v {
        o.remove("$schema");
    }
    Ok(v)
}

/// Every problem in a policy document; empty when it is valid. Schema problems come first; the engine's own
/// checks run only on a document the schema accepts.
pub fn check_value(doc: &Value) -> Vec<PolicyError> {
    let schema = policy_schema();
    let mut out = Vec::new();
    walk(doc, schema, schema, &KeyPath::default(), &mut out);
    let mut out: Vec<PolicyError> = out
        .into_iter()
        .map(|e| super::media::explain(doc, e))
        .collect();
    if out.is_empty() {
        out.extend(engine_checks(doc));
    }
    out
}

/// Checks JSON text: the policy, or every problem found.
pub fn check_text(text: &str, source_name: &str) -> Result<Policy, Vec<PolicyError>> {
    let doc = parse_json(text, source_name).map_err(|e| vec![e])?;
    let errs = check_value(&doc);
    if !errs.is_empty() {
        return Err(errs);
    }
    serde_json::from_value(doc).map_err(|e| {
        vec![PolicyError::Rejected {
            key: KeyPath::default(),
            reason: e.to_string(),
        }]
    })
}

// Exhaustive matches on purpose: a new error variant must be given its key here.

/// Deserializes section by section (so a failure is pinned to a key), then runs the embedded tables' own
/// validation.
fn engine_checks(doc: &Value) -> Vec<PolicyError> {
    let mut out = Vec::new();
    let Some(obj) = doc.as_object() else {
        return out;
    };
    if let Some(loc) = obj.get("location") {
        if let Some(nets) = loc.get("networks").and_then(Value::as_array) {
            for (i, n) in nets.iter().enumerate() {
                if let Err(e) =
                    serde_json::from_value::<crate::location::network::NetworkLocation>(n.clone())
                {
                    let key = KeyPath::default().key("location").key("networks").index(i);
                    out.push(PolicyError::Rejected {
                        key,
                        reason: without_position(&e),
                    });
                }
            }
        }
    }
    if !out.is_empty() {
        return out;
    }
    match serde_json::from_value::<Policy>(doc.clone()) {
        Ok(p) => {
            if let Err(e) = p.emergency.validate() {
                out.push(rejected(emergency_key(&e), e.to_string()));
            }
            if let Err(e) = p.location.validate() {
                out.push(rejected(location_key(&e), e.to_string()));
            }
            out.extend(p.media.errors());
        }
        Err(e) => {
            // Pin it to the first section that fails on its own.
            let key = obj
                .keys()
                .find(|k| {
                    let mut one = serde_json::Map::new();
                    one.insert((*k).clone(), obj.get(*k).cloned().unwrap_or(Value::Null));
                    serde_json::from_value::<Policy>(Value::Object(one)).is_err()
                })
                .map(|k| KeyPath::default().key(k))
                .unwrap_or_default();
            out.push(PolicyError::Rejected {
                key,
                reason: without_position(&e),
            });
        }
    }
    out
}

/// The embedded tables' messages often start with their key already; say it once.
fn rejected(key: KeyPath, reason: String) -> PolicyError {
    let prefix = format!("{key}: ");
    let reason = reason
        .strip_prefix(&prefix)
        .map(str::to_owned)
        .unwrap_or(reason);
    PolicyError::Rejected { key, reason }
}

fn without_position(e: &serde_json::Error) -> String {
    e.to_string()
        .split(" at line ")
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn emergency_key(e: &EmergencyPolicyError) -> KeyPath {
    let base = KeyPath::default().key("emergency");
    match e {
        EmergencyPolicyError::LockMinutes(_) => base.key("lock_minutes"),
        EmergencyPolicyError::StatusDuringAvailable => base.key("status_during"),
        EmergencyPolicyError::EmptyCallbackPattern { index } => {
            base.key("callback_from").index(*index)
        }
        EmergencyPolicyError::EmptyInternalPattern { index } => {
            base.key("internal_callers").index(*index)
        }
        EmergencyPolicyError::QueueHeaderName => base.key("queue_call_header"),
        EmergencyPolicyError::SelfTestDays(_) => base.key("self_test_days"),
        EmergencyPolicyError::AdditionalData(e) => {
            additional_data_key(base.key("additional_data"), e)
        }
    }
}

fn additional_data_key(
    base: KeyPath,
    e: &crate::emergency::additional_data::AdditionalDataError,
) -> KeyPath {
    use crate::emergency::additional_data::AdditionalDataError as E;
    match e {
        E::Text(field) => base.key(field),
        E::Tel => base.key("contact_tel"),
        E::Uri => base.key("contact_uri"),
        E::Email => base.key("contact_email"),
        E::Language(i) => base.key("languages").index(*i),
        E::TooManyLanguages => base.key("languages"),
    }
}

fn location_key(e: &LocationPolicyError) -> KeyPath {
    let base = KeyPath::default().key("location");
    match e {
        LocationPolicyError::Address(_) => base.key("address"),
        LocationPolicyError::Network(n) => base.key("networks").index(n.index),
        LocationPolicyError::HeldUrl => base.key("held_url"),
        LocationPolicyError::Country(_) => base.key("country"),
    }
}
