//! Windows: `HKLM\SOFTWARE\Policies\Lifeline`, as the ADMX template in `assets/mdm/` writes it. Each policy
//! section is a subkey (`emergency`, `notify\smtp`) and each leaf a value named like the JSON key:
//!
//! | leaf type | registry value |
//! | --- | --- |
//! | true/false | REG_DWORD 0 or 1 |
//! | whole number | REG_DWORD (or REG_QWORD, or REG_SZ digits) |
//! | text, one of a list | REG_SZ |
//! | list of text | REG_MULTI_SZ (or REG_SZ holding a JSON array) |
//! | anything structured (address, networks, webhooks, agreement texts) | REG_SZ holding JSON |
//!
//! [`registry_to_json`] is pure (names match the schema without regard to case, as the registry does) and
//! total: a value that does not convert is kept as it is, so the policy check reports it with its key, its
//! value and what is allowed, exactly like a bad JSON value.

use serde_json::{Map, Value};

use crate::policy::schema::{branch, policy_schema, resolve};

pub const REGISTRY_KEY: &str = r"SOFTWARE\Policies\Lifeline";

/// How the registry is named as a policy source (in warnings and `policy show`).
pub fn registry_source() -> String {
    format!(r"HKLM\{REGISTRY_KEY}")
}

/// A registry value's data, by type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegData {
    Sz(String),
    Dword(u32),
    Qword(u64),
    MultiSz(Vec<String>),
    /// A type the policy has no use for (REG_BINARY...), by name.
    Other(String),
}

/// One value under [`REGISTRY_KEY`]: `key` is the subkey path below it (`""`, `"emergency"`,
/// `"notify\\smtp"`), `name` the value's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryValue {
    pub key: String,
    pub name: String,
    pub data: RegData,
}

/// Builds the policy's JSON tree from the values found under [`REGISTRY_KEY`].
pub fn registry_to_json(values: &[RegistryValue]) -> Value {
    let schema = policy_schema();
    let mut doc = Value::Object(Map::new());
    for v in values {
        let segs: Vec<&str> = v
            .key
            .split(['\\', '/'])
            .filter(|s| !s.is_empty())
            .chain([v.name.as_str()])
            .collect();
        insert(&mut doc, &segs, &v.data, Some(schema), schema);
    }
    doc
}

fn insert(node: &mut Value, segs: &[&str], data: &RegData, schema: Option<&Value>, root: &Value) {
    let Some((first, rest)) = segs.split_first() else {
        return;
    };
    let props = schema
        .map(|s| resolve(s, root))
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object);
    // The registry ignores case: use the schema's spelling when one matches.
    let (name, prop) =
        match props.and_then(|p| p.iter().find(|(k, _)| k.eq_ignore_ascii_case(first))) {
            Some((k, p)) => (k.clone(), Some(p)),
            None => ((*first).to_owned(), None),
        };
    let Value::Object(obj) = node else { return };
    if rest.is_empty() {
        obj.insert(name, convert(data, prop.map(|p| resolve(p, root)), root));
        return;
    }
    let child = obj.entry(name).or_insert_with(|| Value::Object(Map::new()));
    if !child.is_object() {
        *child = Value::Object(Map::new());
    }
    let sub = prop.filter(|p| branch(p, root).is_some());
    insert(child, rest, data, sub, root);
}

fn types(s: &Value, root: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match s.get("type") {
        Some(Value::String(t)) => out.push(t.clone()),
        Some(Value::Array(ts)) => {
            out.extend(ts.iter().filter_map(Value::as_str).map(str::to_owned))
        }
        _ => {}
    }
    for alt in s
        .get("anyOf")
        .or_else(|| s.get("oneOf"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.extend(types(resolve(alt, root), root));
    }
    if out.is_empty() && s.get("enum").is_some() {
        out.push("string".into());
    }
    out
}

fn convert(data: &RegData, schema: Option<&Value>, root: &Value) -> Value {
    let wants: Vec<String> = schema.map(|s| types(s, root)).unwrap_or_default();
    let wants = |t: &str| wants.iter().any(|w| w == t);
    match data {
        RegData::Dword(n) => number_or_bool(u64::from(*n), wants("boolean") && !wants("integer")),
        RegData::Qword(n) => number_or_bool(*n, wants("boolean") && !wants("integer")),
        RegData::MultiSz(items) => Value::Array(items.iter().cloned().map(Value::String).collect()),
        RegData::Other(kind) => Value::String(format!("(registry value of type {kind})")),
        RegData::Sz(s) => {
            let t = s.trim();
            if (wants("object") || wants("array"))
                && !wants("string")
                && (t.starts_with('{') || t.starts_with('['))
            {
                return serde_json::from_str(t).unwrap_or_else(|_| Value::String(s.clone()));
            }
            if wants("array") && !wants("string") {
                return Value::Array(vec![Value::String(s.clone())]);
            }
            if wants("integer") && !wants("string") {
                if let Ok(n) = t.parse::<u64>() {
                    return Value::Number(n.into());
                }
            }
            if wants("boolean") && !wants("string") {
                match t.to_ascii_lowercase().as_str() {
                    "1" | "true" => return Value::Bool(true),
                    "0" | "false" => return Value::Bool(false),
                    _ => {}
                }
            }
            Value::String(s.clone())
        }
    }
}

fn number_or_bool(n: u64, boolean: bool) -> Value {
    match (boolean, n) {
        (true, 0) => Value::Bool(false),
        (true, 1) => Value::Bool(true),
        _ => Value::Number(n.into()),
    }
}

/// Reads `HKLM\SOFTWARE\Policies\Lifeline` and its subkeys. No key means no policy.
#[cfg(windows)]
pub fn read_machine_policy() -> Vec<crate::policy::effective::SourceDoc> {
    use winreg::enums::HKEY_LOCAL_MACHINE;
    use winreg::RegKey;

    let Ok(root) = RegKey::predef(HKEY_LOCAL_MACHINE).open_subkey(REGISTRY_KEY) else {
        return Vec::new();
    };
    let mut values = Vec::new();
    collect(&root, "", 0, &mut values);
    vec![crate::policy::effective::SourceDoc {
        source: registry_source(),
        doc: Ok(registry_to_json(&values)),
    }]
}

#[cfg(windows)]
fn collect(key: &winreg::RegKey, rel: &str, depth: usize, out: &mut Vec<RegistryValue>) {
    use winreg::enums::RegType;
    use winreg::types::FromRegValue;

    for (name, v) in key.enum_values().filter_map(Result::ok) {
        let data = match v.vtype {
            RegType::REG_SZ | RegType::REG_EXPAND_SZ => String::from_reg_value(&v).map(RegData::Sz),
            RegType::REG_DWORD => u32::from_reg_value(&v).map(RegData::Dword),
            RegType::REG_QWORD => u64::from_reg_value(&v).map(RegData::Qword),
            RegType::REG_MULTI_SZ => Vec::<String>::from_reg_value(&v).map(RegData::MultiSz),
            ref other => Ok(RegData::Other(format!("{other:?}"))),
        };
        if let Ok(data) = data {
            out.push(RegistryValue {
                key: rel.to_owned(),
                name,
                data,
            });
        }
    }
    if depth >= 4 {
        return;
    }
    for sub in key.enum_keys().filter_map(Result::ok) {
        if let Ok(k) = key.open_subkey(&sub) {
            let path = if rel.is_empty() {
                sub.clone()
            } else {
                format!(r"{rel}\{sub}")
            };
            collect(&k, &path, depth + 1, out);
        }
    }
}
