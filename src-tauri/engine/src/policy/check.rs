//! Checking a policy document: the JSON Schema generated from the types (so every key, type, range and
//! allowed value comes from one place), then the engine's own checks (`EmergencyPolicy::validate`,
//! `LocationPolicy::validate`). Errors name the key, the value and what is allowed.
//!
//! The schema walk below supports exactly the keywords schemars emits for our types (a test fails if the
//! schema ever uses another), which keeps messages in IT's words and avoids a general validator crate.

use std::fmt;

use serde_json::Value;

use super::model::Policy;
use super::schema::{leaf_keys, policy_schema, resolve};
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
        KeyPath(dotted.split('.').filter(|s| !s.is_empty()).map(|s| Seg::Key(s.to_owned())).collect())
    }
    fn is_private(&self) -> bool {
        // Addresses are never echoed (they may end up in logs); the key is enough to find the problem.
        matches!(self.0.as_slice(), [Seg::Key(a), Seg::Key(b), ..] if a == "location" && (b == "address" || b == "networks"))
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
    Syntax { source_name: String, line: usize, column: usize, message: String },
    #[error("{source_name}: cannot be read: {message}")]
    Unreadable { source_name: String, message: String },
    #[error("{key}: unknown key{}", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    UnknownKey { key: KeyPath, suggestion: Option<String> },
    #[error("{key}: {value} is not allowed; allowed: {allowed}")]
    Invalid { key: KeyPath, value: String, allowed: String },
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
            message: e.to_string().split(" at line ").next().unwrap_or_default().to_owned(),
        }
    }
}

/// Parses JSON text, naming the line and column of a syntax error. A top-level `"$schema"` (which editors
/// use to find the schema) is not a policy key and is dropped.
pub fn parse_json(text: &str, source_name: &str) -> Result<Value, PolicyError> {
    let mut v: Value = serde_json::from_str(text).map_err(|e| PolicyError::syntax(source_name, &e))?;
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
    serde_json::from_value(doc)
        .map_err(|e| vec![PolicyError::Rejected { key: KeyPath::default(), reason: e.to_string() }])
}

// Exhaustive matches on purpose: a new error variant must be given its key here.

/// Deserializes section by section (so a failure is pinned to a key), then runs the embedded tables' own
/// validation.
fn engine_checks(doc: &Value) -> Vec<PolicyError> {
    let mut out = Vec::new();
    let Some(obj) = doc.as_object() else { return out };
    if let Some(loc) = obj.get("location") {
        if let Some(nets) = loc.get("networks").and_then(Value::as_array) {
            for (i, n) in nets.iter().enumerate() {
                if let Err(e) = serde_json::from_value::<crate::location::network::NetworkLocation>(n.clone()) {
                    let key = KeyPath::default().key("location").key("networks").index(i);
                    out.push(PolicyError::Rejected { key, reason: without_position(&e) });
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
            out.push(PolicyError::Rejected { key, reason: without_position(&e) });
        }
    }
    out
}

/// The embedded tables' messages often start with their key already; say it once.
fn rejected(key: KeyPath, reason: String) -> PolicyError {
    let prefix = format!("{key}: ");
    let reason = reason.strip_prefix(&prefix).map(str::to_owned).unwrap_or(reason);
    PolicyError::Rejected { key, reason }
}

fn without_position(e: &serde_json::Error) -> String {
    e.to_string().split(" at line ").next().unwrap_or_default().to_owned()
}

fn emergency_key(e: &EmergencyPolicyError) -> KeyPath {
    let base = KeyPath::default().key("emergency");
    match e {
        EmergencyPolicyError::LockMinutes(_) => base.key("lock_minutes"),
        EmergencyPolicyError::StatusDuringAvailable => base.key("status_during"),
        EmergencyPolicyError::EmptyCallbackPattern { index } => base.key("callback_from").index(*index),
    }
}

fn location_key(e: &LocationPolicyError) -> KeyPath {
    let base = KeyPath::default().key("location");
    match e {
        LocationPolicyError::Address(_) => base.key("address"),
        LocationPolicyError::Network(n) => base.key("networks").index(n.index),
        LocationPolicyError::HeldUrl => base.key("held_url"),
    }
}

/// The keywords the walk understands; annotations (description, default...) are ignored by design.
pub const SUPPORTED_KEYWORDS: &[&str] = &[
    "$ref",
    "anyOf",
    "oneOf",
    "type",
    "const",
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "properties",
    "additionalProperties",
    "required",
    "propertyNames",
    "items",
    "minItems",
    "maxItems",
];
pub const ANNOTATIONS: &[&str] = &["$schema", "$id", "$defs", "title", "description", "default", "format", "examples"];

fn walk(v: &Value, node: &Value, root: &Value, path: &KeyPath, out: &mut Vec<PolicyError>) {
    let s = resolve(node, root);
    if let Some(alts) = s.get("anyOf").or_else(|| s.get("oneOf")).and_then(Value::as_array) {
        if alts.iter().any(|a| {
            let mut tmp = Vec::new();
            walk(v, a, root, path, &mut tmp);
            tmp.is_empty()
        }) {
            return;
        }
        let typed: Vec<&Value> = alts.iter().filter(|a| type_ok(resolve(a, root), v)).collect();
        match typed.as_slice() {
            [one] => walk(v, one, root, path, out),
            _ => out.push(invalid(path, v, describe(node, root))),
        }
        return;
    }
    if !type_ok(s, v) {
        out.push(invalid(path, v, describe(node, root)));
        return;
    }
    if let Some(c) = s.get("const") {
        if c != v {
            out.push(invalid(path, v, describe(node, root)));
            return;
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            out.push(invalid(path, v, describe(node, root)));
            return;
        }
    }
    if let Some(n) = v.as_f64() {
        let lo = s.get("minimum").and_then(Value::as_f64);
        let hi = s.get("maximum").and_then(Value::as_f64);
        if lo.is_some_and(|lo| n < lo) || hi.is_some_and(|hi| n > hi) {
            out.push(invalid(path, v, describe(node, root)));
            return;
        }
    }
    if let Some(text) = v.as_str() {
        if !string_ok(s, text) {
            out.push(invalid(path, v, describe(node, root)));
            return;
        }
    }
    if let Some(obj) = v.as_object() {
        let props = s.get("properties").and_then(Value::as_object);
        for (k, child) in obj {
            let p = path.clone().key(k);
            if let Some(names) = s.get("propertyNames") {
                if !string_ok(resolve(names, root), k) {
                    out.push(PolicyError::Invalid {
                        key: p.clone(),
                        value: format!("the key {k:?}"),
                        allowed: format!("keys {}", describe(names, root)),
                    });
                    continue;
                }
            }
            match props.and_then(|m| m.get(k)) {
                Some(ps) => walk(child, ps, root, &p, out),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        out.push(PolicyError::UnknownKey { key: p, suggestion: suggest(k, props, root, path) })
                    }
                    Some(extra @ Value::Object(_)) => walk(child, extra, root, &p, out),
                    _ => {}
                },
            }
        }
        for r in s.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !obj.contains_key(r) {
                let allowed = props.and_then(|m| m.get(r)).map(|ps| describe(ps, root)).unwrap_or_default();
                out.push(PolicyError::Missing { key: path.clone().key(r), allowed });
            }
        }
    }
    if let Some(items) = v.as_array() {
        let n = items.len() as u64;
        let lo = s.get("minItems").and_then(Value::as_u64);
        let hi = s.get("maxItems").and_then(Value::as_u64);
        if lo.is_some_and(|lo| n < lo) || hi.is_some_and(|hi| n > hi) {
            out.push(invalid(path, v, describe(node, root)));
            return;
        }
        if let Some(item_schema) = s.get("items") {
            for (i, item) in items.iter().enumerate() {
                walk(item, item_schema, root, &path.clone().index(i), out);
            }
        }
    }
}

fn string_ok(s: &Value, text: &str) -> bool {
    let chars = text.chars().count() as u64;
    if s.get("minLength").and_then(Value::as_u64).is_some_and(|m| chars < m)
        || s.get("maxLength").and_then(Value::as_u64).is_some_and(|m| chars > m)
    {
        return false;
    }
    match s.get("pattern").and_then(Value::as_str) {
        // A pattern that does not compile is a bug in our types; a test compiles every one.
        Some(p) => regex::Regex::new(p).map(|re| re.is_match(text)).unwrap_or(false),
        None => true,
    }
}

fn type_ok(s: &Value, v: &Value) -> bool {
    let one = |t: &str| match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => false,
    };
    match s.get("type") {
        None => true,
        Some(Value::String(t)) => one(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(one),
        Some(_) => false,
    }
}

fn invalid(path: &KeyPath, v: &Value, allowed: String) -> PolicyError {
    let value = if path.is_private() {
        "this value".to_owned()
    } else {
        let mut text = v.to_string();
        if text.chars().count() > 80 {
            text = text.chars().take(77).collect::<String>() + "...";
        }
        text
    };
    PolicyError::Invalid { key: path.clone(), value, allowed }
}

/// What a schema node allows, in words.
pub fn describe(node: &Value, root: &Value) -> String {
    let s = resolve(node, root);
    if let Some(alts) = s.get("anyOf").or_else(|| s.get("oneOf")).and_then(Value::as_array) {
        let parts: Vec<String> = alts.iter().map(|a| describe(a, root)).collect();
        return parts.join(", or ");
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        return format!("one of {}", e.iter().map(Value::to_string).collect::<Vec<_>>().join(", "));
    }
    if let Some(c) = s.get("const") {
        return c.to_string();
    }
    let types: Vec<&str> = match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let mut parts = Vec::new();
    for t in &types {
        parts.push(match *t {
            "null" => "null (unset)".to_owned(),
            "boolean" => "true or false".to_owned(),
            "integer" | "number" => {
                let word = if *t == "integer" { "a whole number" } else { "a number" };
                match (s.get("minimum"), s.get("maximum")) {
                    (Some(lo), Some(hi)) => format!("{word} from {lo} to {hi}"),
                    (Some(lo), None) => format!("{word} of at least {lo}"),
                    (None, Some(hi)) => format!("{word} of at most {hi}"),
                    (None, None) => word.to_owned(),
                }
            }
            "string" => {
                let mut d = "text".to_owned();
                if let Some(p) = s.get("pattern").and_then(Value::as_str) {
                    d.push_str(&format!(" matching {p}"));
                }
                match (s.get("minLength"), s.get("maxLength")) {
                    (Some(lo), Some(hi)) => d.push_str(&format!(" of {lo} to {hi} characters")),
                    (Some(lo), None) => d.push_str(&format!(" of at least {lo} character(s)")),
                    (None, Some(hi)) => d.push_str(&format!(" of at most {hi} characters")),
                    (None, None) => {}
                }
                d
            }
            "array" => match s.get("items") {
                Some(i) => format!("a list of ({})", describe(i, root)),
                None => "a list".to_owned(),
            },
            "object" => match s.get("properties").and_then(Value::as_object) {
                Some(p) => format!("an object with keys {}", p.keys().cloned().collect::<Vec<_>>().join(", ")),
                None => "an object".to_owned(),
            },
            other => other.to_owned(),
        });
    }
    let mut text = parts.join(", or ");
    if let Some(d) = node.get("description").or_else(|| s.get("description")).and_then(Value::as_str) {
        let first = d.split("\n\n").next().unwrap_or(d).replace('\n', " ");
        text.push_str(&format!(" ({first})"));
    }
    text
}

/// A close sibling key, or the same key under another section (`lock_minutes` -> `emergency.lock_minutes`).
fn suggest(k: &str, props: Option<&serde_json::Map<String, Value>>, root: &Value, parent: &KeyPath) -> Option<String> {
    let lower = k.to_ascii_lowercase();
    let near = props.into_iter().flat_map(|m| m.keys()).map(|c| (strsim::damerau_levenshtein(&lower, c), c));
    if let Some((d, c)) = near.min_by_key(|(d, _)| *d) {
        if d <= 2 || (d <= 3 && c.len() >= 8) {
            return Some(parent.clone().key(c).to_string());
        }
    }
    let elsewhere: Vec<String> =
        leaf_keys(root).into_iter().map(|(p, _)| p).filter(|p| p.rsplit('.').next() == Some(lower.as_str())).collect();
    match elsewhere.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}
