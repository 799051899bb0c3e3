//! The effective settings: defaults < user settings < managed policy, merged key by key, with the list of
//! keys the organisation manages (the UI locks those and says "managed by your organisation") and the
//! warnings about anything that had to be ignored.
//!
//! Start-up never fails because of a policy: a bad key (wrong type, out of range, unknown, rejected by the
//! engine's checks) is dropped from its source, so that key falls back to the user's setting or the default,
//! and a warning is recorded for the banner. Emergency dialling cannot be disabled by policy at all: no key
//! turns it off, and an invalid `emergency.*` value falls back to its default (30-minute lock, do-not-disturb,
//! map 112/911 to the local number), never to "off".

use std::collections::BTreeSet;
use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::check::{check_value, KeyPath, PolicyError, Seg};
use super::model::Policy;
use super::schema::{branch, policy_schema};

/// One document from one source: a file, the registry, a managed-preferences plist, the user's settings.
#[derive(Debug, Clone)]
pub struct SourceDoc {
    /// Where it came from, for messages ("/etc/lifeline/policy.d/10-site.json", "registry").
    pub source: String,
    pub doc: Result<Value, PolicyError>,
}

/// A problem that was worked around at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyWarning {
    pub source: String,
    pub error: PolicyError,
}

impl fmt::Display for PolicyWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.error.key() {
            Some(_) => write!(
                f,
                "{}: {}; this key is ignored and its default or the user's setting applies",
                self.source, self.error
            ),
            None => write!(f, "{}; this source is ignored", self.error),
        }
    }
}

impl Serialize for PolicyWarning {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What the engine runs with.
#[derive(Debug, Clone, Serialize)]
pub struct EffectivePolicy {
    pub policy: Policy,
    /// Leaf keys set by the managed policy, dotted (`emergency.lock_minutes`, `location.address`).
    pub managed: BTreeSet<String>,
    pub warnings: Vec<PolicyWarning>,
}

impl EffectivePolicy {
    /// Is this key (a leaf, or a part of one such as `location.address.RD`) set by the organisation?
    pub fn is_managed(&self, key: &str) -> bool {
        self.managed.iter().any(|m| {
            m == key
                || key
                    .strip_prefix(m.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    }
}

/// Merges the managed documents (in the order given: later ones win key by key) over the user's settings
/// over the defaults. Never fails; see the module documentation.
pub fn load_effective(managed_docs: &[SourceDoc], user: Option<&SourceDoc>) -> EffectivePolicy {
    let schema = policy_schema();
    let mut warnings = Vec::new();
    let mut managed = Value::Object(Map::new());
    for d in managed_docs {
        match &d.doc {
            Ok(v) => {
                let clean = sanitize(v.clone(), &d.source, schema, &mut warnings);
                merge(&mut managed, &clean, schema);
            }
            Err(e) => warnings.push(PolicyWarning {
                source: d.source.clone(),
                error: e.clone(),
            }),
        }
    }
    let managed = sanitize(managed, "managed policy", schema, &mut warnings);

    let mut eff =
        serde_json::to_value(Policy::default()).unwrap_or_else(|_| Value::Object(Map::new()));
    if let Some(u) = user {
        match &u.doc {
            Ok(v) => {
                let clean = sanitize(v.clone(), &u.source, schema, &mut warnings);
                merge(&mut eff, &clean, schema);
            }
            Err(e) => warnings.push(PolicyWarning {
                source: u.source.clone(),
                error: e.clone(),
            }),
        }
    }
    merge(&mut eff, &managed, schema);
    let eff = sanitize(eff, "effective settings", schema, &mut warnings);
    let policy = serde_json::from_value(eff).unwrap_or_else(|e| {
        warnings.push(PolicyWarning {
            source: "effective settings".into(),
            error: PolicyError::Rejected {
                key: KeyPath::default(),
                reason: e.to_string(),
            },
        });
        Policy::default()
    });
    let mut keys = BTreeSet::new();
    present_leaves(&managed, schema, schema, "", &mut keys);
    EffectivePolicy {
        policy,
        managed: keys,
        warnings,
    }
}

/// Drops every key with a problem (recording a warning for each) until the document checks clean.
pub fn sanitize(
    doc: Value,
    source: &str,
    schema: &Value,
    warnings: &mut Vec<PolicyWarning>,
) -> Value {
    let mut doc = doc;
    for _ in 0..32 {
        let errs = check_value(&doc);
        if errs.is_empty() {
            return doc;
        }
        let mut removals: Vec<KeyPath> =
            errs.iter().map(|e| removal_path(e.key(), schema)).collect();
        removals.sort();
        removals.dedup();
        for r in removals.iter().rev() {
            remove_path(&mut doc, r);
        }
        warnings.extend(errs.into_iter().map(|error| PolicyWarning {
            source: source.to_owned(),
            error,
        }));
    }
    // Not reached with our checks (each round removes at least one key); be safe anyway.
    Value::Object(Map::new())
}

/// The smallest part to drop for a problem at `key`: the leaf it is in, or the one list entry.
fn removal_path(key: Option<&KeyPath>, root: &Value) -> KeyPath {
    let Some(key) = key else {
        return KeyPath::default();
    };
    let mut props = root.get("properties").and_then(Value::as_object);
    let mut out = Vec::new();
    for (i, seg) in key.0.iter().enumerate() {
        out.push(seg.clone());
        let Seg::Key(k) = seg else { break };
        let Some(p) = props.and_then(|m| m.get(k)) else {
            break;
        };
        match branch(p, root) {
            Some(sub) => props = Some(sub),
            None => {
                if let Some(next @ Seg::Index(_)) = key.0.get(i + 1) {
                    out.push(next.clone());
                }
                break;
            }
        }
    }
    KeyPath(out)
}

fn remove_path(doc: &mut Value, path: &KeyPath) {
    let Some((last, parents)) = path.0.split_last() else {
        *doc = Value::Object(Map::new());
        return;
    };
    let mut node = doc;
    for seg in parents {
        let next = match seg {
            Seg::Key(k) => node.get_mut(k.as_str()),
            Seg::Index(i) => node.get_mut(*i),
        };
        match next {
            Some(n) => node = n,
            None => return,
        }
    }
    match (last, node) {
        (Seg::Key(k), Value::Object(o)) => {
            o.remove(k);
        }
        (Seg::Index(i), Value::Array(a)) if *i < a.len() => {
            a.remove(*i);
        }
        _ => {}
    }
}

/// Sections merge key by key; leaves (including lists and addresses) are replaced whole.
pub fn merge(base: &mut Value, over: &Value, root: &Value) {
    merge_props(
        base,
        over,
        root.get("properties").and_then(Value::as_object),
        root,
    );
}

fn merge_props(base: &mut Value, over: &Value, props: Option<&Map<String, Value>>, root: &Value) {
    let (Value::Object(b), Some(o)) = (base, over.as_object()) else {
        return;
    };
    for (k, v) in o {
        let sub = props.and_then(|m| m.get(k)).and_then(|p| branch(p, root));
        match (sub, b.get_mut(k)) {
            (Some(sub), Some(existing)) if existing.is_object() && v.is_object() => {
                merge_props(existing, v, Some(sub), root)
            }
            _ => {
                b.insert(k.clone(), v.clone());
            }
        }
    }
}

fn present_leaves(
    doc: &Value,
    node: &Value,
    root: &Value,
    prefix: &str,
    out: &mut BTreeSet<String>,
) {
    let (Some(obj), Some(props)) = (
        doc.as_object(),
        node.get("properties").and_then(Value::as_object),
    ) else {
        return;
    };
    for (k, v) in obj {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match props.get(k).and_then(|p| branch(p, root).map(|_| p)) {
            Some(p) => present_leaves(v, super::schema::resolve(p, root), root, &path, out),
            None => {
                out.insert(path);
            }
        }
    }
}
