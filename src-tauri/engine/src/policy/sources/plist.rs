//! macOS managed preferences: what an MDM profile (`.mobileconfig`, payload type `app.lifeline.softphone`)
//! forces lands in `/Library/Managed Preferences/app.lifeline.softphone.plist` (machine) and
//! `/Library/Managed Preferences/<user>/app.lifeline.softphone.plist` (user). The plist's dictionaries are
//! the policy's sections, with the same key names as the JSON.

use std::path::Path;

use serde_json::{Map, Number, Value};

use crate::policy::check::PolicyError;
use crate::policy::effective::SourceDoc;
use crate::policy::schema::BUNDLE_ID;

pub const MANAGED_PREFERENCES_DIR: &str = "/Library/Managed Preferences";

/// Converts a plist (XML or binary) into the policy's JSON tree. Top-level `Payload*` keys (profile
/// metadata, present when a payload dictionary is read straight from a `.mobileconfig`) are not policy keys
/// and are skipped.
pub fn plist_to_json(bytes: &[u8], source: &str) -> Result<Value, PolicyError> {
    let v = plist::Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| {
        PolicyError::Unreadable {
            source_name: source.to_owned(),
            message: format!("not a property list: {e}"),
        }
    })?;
    let mut out = convert(&v, source)?;
    if let Value::Object(o) = &mut out {
        o.retain(|k, _| !k.starts_with("Payload"));
    }
    Ok(out)
}

/// The payload for Lifeline inside a configuration profile (`.mobileconfig`), as the JSON tree.
pub fn mobileconfig_payload(bytes: &[u8], source: &str) -> Result<Value, PolicyError> {
    let v = plist::Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| {
        PolicyError::Unreadable {
            source_name: source.to_owned(),
            message: format!("not a property list: {e}"),
        }
    })?;
    let payload = v
        .as_dictionary()
        .and_then(|d| d.get("PayloadContent"))
        .and_then(plist::Value::as_array)
        .and_then(|items| {
            items.iter().find(|p| {
                p.as_dictionary()
                    .and_then(|d| d.get("PayloadType"))
                    .and_then(plist::Value::as_string)
                    == Some(BUNDLE_ID)
            })
        })
        .ok_or_else(|| PolicyError::Unreadable {
            source_name: source.to_owned(),
            message: format!("no payload of type {BUNDLE_ID} in PayloadContent"),
        })?;
    let mut out = convert(payload, source)?;
    if let Value::Object(o) = &mut out {
        o.retain(|k, _| !k.starts_with("Payload"));
    }
    Ok(out)
}

fn convert(v: &plist::Value, source: &str) -> Result<Value, PolicyError> {
    Ok(match v {
        plist::Value::Dictionary(d) => {
            let mut m = Map::new();
            for (k, v) in d {
                m.insert(k.clone(), convert(v, source)?);
            }
            Value::Object(m)
        }
        plist::Value::Array(a) => Value::Array(a.iter().map(|x| convert(x, source)).collect::<Result<_, _>>()?),
        plist::Value::Boolean(b) => Value::Bool(*b),
        plist::Value::Integer(i) => match (i.as_signed(), i.as_unsigned()) {
            (Some(s), _) => Value::Number(s.into()),
            (None, Some(u)) => Value::Number(u.into()),
            (None, None) => Value::Null,
        },
        plist::Value::Real(r) => Number::from_f64(*r).map(Value::Number).unwrap_or(Value::Null),
        plist::Value::String(s) => Value::String(s.clone()),
        other => {
            return Err(PolicyError::Unreadable {
                source_name: source.to_owned(),
                message: format!(
                    "a {} value has no place in the policy (use strings, numbers, booleans, arrays and dictionaries)",
                    kind(other)
                ),
            })
        }
    })
}

fn kind(v: &plist::Value) -> &'static str {
    match v {
        plist::Value::Data(_) => "data",
        plist::Value::Date(_) => "date",
        plist::Value::Uid(_) => "UID",
        _ => "non-JSON",
    }
}

/// Reads the machine's then the user's managed preferences under `dir` (normally
/// [`MANAGED_PREFERENCES_DIR`]); the user's forced values win key by key.
pub fn read_managed_preferences(dir: &Path, user: Option<&str>) -> Vec<SourceDoc> {
    let file = format!("{BUNDLE_ID}.plist");
    let mut candidates = vec![dir.join(&file)];
    if let Some(u) = user.filter(|u| !u.is_empty() && !u.contains('/')) {
        candidates.push(dir.join(u).join(&file));
    }
    candidates
        .into_iter()
        .filter(|p| p.is_file())
        .map(|p| {
            let source = p.display().to_string();
            let doc = std::fs::read(&p)
                .map_err(|e| PolicyError::Unreadable {
                    source_name: source.clone(),
                    message: e.to_string(),
                })
                .and_then(|bytes| plist_to_json(&bytes, &source));
            SourceDoc { source, doc }
        })
        .collect()
}
