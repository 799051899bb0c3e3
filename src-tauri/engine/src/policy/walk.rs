//! The schema walk behind [`super::check`]: validates a JSON value against the generated policy schema and
//! collects every problem with its key, the value and what is allowed, in IT's words. It supports exactly the
//! keywords schemars emits for our types (a test fails if the schema ever uses another).

use serde_json::Value;

use super::check::{KeyPath, PolicyError};
use super::schema::{leaf_keys, resolve};

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
pub const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "title",
    "description",
    "default",
    "format",
    "examples",
];

pub(super) fn walk(
    v: &Value,
    node: &Value,
    root: &Value,
    path: &KeyPath,
    out: &mut Vec<PolicyError>,
) {
    let s = resolve(node, root);
    if let Some(alts) = s
        .get("anyOf")
        .or_else(|| s.get("oneOf"))
        .and_then(Value::as_array)
    {
        if alts.iter().any(|a| {
            let mut tmp = Vec::new();
            walk(v, a, root, path, &mut tmp);
            tmp.is_empty()
        }) {
            return;
        }
        let typed: Vec<&Value> = alts
            .iter()
            .filter(|a| type_ok(resolve(a, root), v))
            .collect();
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
                    Some(Value::Bool(false)) => out.push(PolicyError::UnknownKey {
                        key: p,
                        suggestion: suggest(k, props, root, path),
                    }),
                    Some(extra @ Value::Object(_)) => walk(child, extra, root, &p, out),
                    _ => {}
                },
            }
        }
        for r in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(r) {
                let allowed = props
                    .and_then(|m| m.get(r))
                    .map(|ps| describe(ps, root))
                    .unwrap_or_default();
                out.push(PolicyError::Missing {
                    key: path.clone().key(r),
                    allowed,
                });
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
    if s.get("minLength")
        .and_then(Value::as_u64)
        .is_some_and(|m| chars < m)
        || s.get("maxLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| chars > m)
    {
        return false;
    }
    match s.get("pattern").and_then(Value::as_str) {
        // A pattern that does not compile is a bug in our types; a test compiles every one.
        Some(p) => regex::Regex::new(p)
            .map(|re| re.is_match(text))
            .unwrap_or(false),
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
    PolicyError::Invalid {
        key: path.clone(),
        value,
        allowed,
    }
}

/// What a schema node allows, in words.
pub fn describe(node: &Value, root: &Value) -> String {
    let s = resolve(node, root);
    if let Some(alts) = s
        .get("anyOf")
        .or_else(|| s.get("oneOf"))
        .and_then(Value::as_array)
    {
        let parts: Vec<String> = alts.iter().map(|a| describe(a, root)).collect();
        return parts.join(", or ");
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        return format!(
            "one of {}",
            e.iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
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
                let word = if *t == "integer" {
                    "a whole number"
                } else {
                    "a number"
                };
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
                Some(p) => format!(
                    "an object with keys {}",
                    p.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
                None => "an object".to_owned(),
            },
            other => other.to_owned(),
        });
    }
    let mut text = parts.join(", or ");
    if let Some(d) = node
        .get("description")
        .or_else(|| s.get("description"))
        .and_then(Value::as_str)
    {
        let first = d.split("\n\n").next().unwrap_or(d).replace('\n', " ");
        text.push_str(&format!(" ({first})"));
    }
    text
}

/// A close sibling key, or the same key under another section (`lock_minutes` -> `emergency.lock_minutes`).
fn suggest(
    k: &str,
    props: Option<&serde_json::Map<String, Value>>,
    root: &Value,
    parent: &KeyPath,
) -> Option<String> {
    let lower = k.to_ascii_lowercase();
    let near = props
        .into_iter()
        .flat_map(|m| m.keys())
        .map(|c| (strsim::damerau_levenshtein(&lower, c), c));
    if let Some((d, c)) = near.min_by_key(|(d, _)| *d) {
        if d <= 2 || (d <= 3 && c.len() >= 8) {
            return Some(parent.clone().key(c).to_string());
        }
    }
    let elsewhere: Vec<String> = leaf_keys(root)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.rsplit('.').next() == Some(lower.as_str()))
        .collect();
    match elsewhere.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}
