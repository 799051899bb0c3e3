//! Windows Group Policy templates (ADMX + en-US ADML) generated from the policy schema: one policy per leaf
//! key, under `Software\Policies\Lifeline\<section>`, value named like the JSON key (see
//! [`super::sources::registry`] for how each kind of value is read back). The committed files in
//! `assets/mdm/` are compared with this output by a test, so they cannot fall behind the types.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value;

use super::check::describe;
use super::schema::{leaf_keys, policy_schema, resolve};

const NS: &str = "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions";
const SUPPORTED: &str = "SUPPORTED_Lifeline_0_1";
/// JSON values (addresses, networks, webhooks) can be long.
const JSON_MAX_LENGTH: u32 = 32767;
const TEXT_MAX_LENGTH: u32 = 1023;

/// How a leaf is edited in the Group Policy editor and stored in the registry.
#[derive(Debug, Clone, PartialEq)]
pub enum LeafKind {
    Bool,
    Decimal { min: Option<u64>, max: Option<u64> },
    Enum(Vec<String>),
    Text,
    MultiText,
    Json,
}

impl LeafKind {
    pub fn of(prop: &Value, root: &Value) -> LeafKind {
        let s = resolve(prop, root);
        if let Some(e) = s.get("enum").and_then(Value::as_array) {
            return LeafKind::Enum(
                e.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            );
        }
        let types: Vec<&str> = match s.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let non_null: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
        match non_null.as_slice() {
            ["boolean"] => LeafKind::Bool,
            ["integer"] => LeafKind::Decimal {
                min: s.get("minimum").and_then(Value::as_u64),
                max: s.get("maximum").and_then(Value::as_u64),
            },
            ["string"] => LeafKind::Text,
            ["array"] => {
                let items = s.get("items").map(|i| resolve(i, root));
                if items.and_then(|i| i.get("type")).and_then(Value::as_str) == Some("string") {
                    LeafKind::MultiText
                } else {
                    LeafKind::Json
                }
            }
            _ => LeafKind::Json,
        }
    }

    pub fn registry_type(&self) -> &'static str {
        match self {
            LeafKind::Bool | LeafKind::Decimal { .. } => "REG_DWORD",
            LeafKind::MultiText => "REG_MULTI_SZ",
            LeafKind::Enum(_) | LeafKind::Text | LeafKind::Json => "REG_SZ",
        }
    }
}

struct Leaf {
    /// `emergency.lock_minutes`
    key: String,
    /// `emergency_lock_minutes`
    id: String,
    /// `Software\Policies\Lifeline\emergency`
    reg_key: String,
    value_name: String,
    category: String,
    kind: LeafKind,
    prop: Value,
}

fn leaves(schema: &Value) -> Vec<Leaf> {
    leaf_keys(schema)
        .into_iter()
        .map(|(key, prop)| {
            let parts: Vec<&str> = key.split('.').collect();
            let (value_name, sections) = parts
                .split_last()
                .map(|(l, s)| (*l, s.to_vec()))
                .unwrap_or(("", vec![]));
            let mut reg_key = r"Software\Policies\Lifeline".to_owned();
            for s in &sections {
                reg_key.push('\\');
                reg_key.push_str(s);
            }
            Leaf {
                id: key.replace('.', "_"),
                category: category_id(&sections),
                reg_key,
                value_name: value_name.to_owned(),
                kind: LeafKind::of(&prop, schema),
                prop,
                key,
            }
        })
        .collect()
}

fn category_id(sections: &[&str]) -> String {
    std::iter::once("Lifeline")
        .chain(sections.iter().copied())
        .collect::<Vec<_>>()
        .join("_")
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn title(key: &str) -> String {
    let words: Vec<String> = key.split('.').map(|p| p.replace('_', " ")).collect();
    let mut t = words.join(": ");
    if let Some(first) = t.get(..1) {
        t = first.to_uppercase() + t.get(1..).unwrap_or_default();
    }
    t
}

/// The `.admx` file.
pub fn admx() -> String {
    let schema = policy_schema();
    let leaves = leaves(schema);
    let mut x = String::new();
    let _ = writeln!(x, r#"<?xml version="1.0" encoding="utf-8"?>"#);
    let _ = writeln!(
        x,
        "<!-- Generated from the Lifeline policy types; do not edit (see src-tauri/engine/src/policy/admx.rs). -->"
    );
    let _ = writeln!(
        x,
        r#"<policyDefinitions xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" revision="1.0" schemaVersion="1.0" xmlns="{NS}">"#
    );
    let _ = writeln!(x, "  <policyNamespaces>");
    let _ = writeln!(
        x,
        r#"    <target prefix="lifeline" namespace="Lifeline.Policies.Softphone" />"#
    );
    let _ = writeln!(
        x,
        r#"    <using prefix="windows" namespace="Microsoft.Policies.Windows" />"#
    );
    let _ = writeln!(x, "  </policyNamespaces>");
    let _ = writeln!(x, r#"  <resources minRequiredRevision="1.0" />"#);
    let _ = writeln!(x, "  <supportedOn>\n    <definitions>");
    let _ = writeln!(
        x,
        r#"      <definition name="{SUPPORTED}" displayName="$(string.{SUPPORTED})" />"#
    );
    let _ = writeln!(x, "    </definitions>\n  </supportedOn>");
    let _ = writeln!(x, "  <categories>");
    let mut cats: BTreeSet<Vec<String>> = BTreeSet::new();
    for l in &leaves {
        let sections: Vec<String> = l.key.split('.').map(str::to_owned).collect();
        for n in 0..sections.len() {
            cats.insert(sections[..n].to_vec());
        }
    }
    for c in &cats {
        let refs: Vec<&str> = c.iter().map(String::as_str).collect();
        let id = category_id(&refs);
        match refs.split_last() {
            None => {
                let _ = writeln!(
                    x,
                    r#"    <category name="{id}" displayName="$(string.{id})" />"#
                );
            }
            Some((_, parent)) => {
                let _ = writeln!(
                    x,
                    r#"    <category name="{id}" displayName="$(string.{id})">"#
                );
                let _ = writeln!(
                    x,
                    r#"      <parentCategory ref="{}" />"#,
                    category_id(parent)
                );
                let _ = writeln!(x, "    </category>");
            }
        }
    }
    let _ = writeln!(x, "  </categories>");
    let _ = writeln!(x, "  <policies>");
    for l in &leaves {
        let id = &l.id;
        let presentation = if l.kind == LeafKind::Bool {
            String::new()
        } else {
            format!(r#" presentation="$(presentation.{id})""#)
        };
        let value_name = if l.kind == LeafKind::Bool {
            format!(r#" valueName="{}""#, l.value_name)
        } else {
            String::new()
        };
        let _ = writeln!(
            x,
            r#"    <policy name="{id}" class="Machine" displayName="$(string.{id})" explainText="$(string.{id}_Explain)"{presentation} key="{}"{value_name}>"#,
            esc(&l.reg_key)
        );
        let _ = writeln!(x, r#"      <parentCategory ref="{}" />"#, l.category);
        let _ = writeln!(x, r#"      <supportedOn ref="{SUPPORTED}" />"#);
        let vn = &l.value_name;
        match &l.kind {
            LeafKind::Bool => {
                let _ = writeln!(
                    x,
                    r#"      <enabledValue><decimal value="1" /></enabledValue>"#
                );
                let _ = writeln!(
                    x,
                    r#"      <disabledValue><decimal value="0" /></disabledValue>"#
                );
            }
            LeafKind::Decimal { min, max } => {
                let min = min
                    .map(|m| format!(r#" minValue="{m}""#))
                    .unwrap_or_default();
                let max = max
                    .map(|m| format!(r#" maxValue="{m}""#))
                    .unwrap_or_default();
                let _ = writeln!(
                    x,
                    r#"      <elements><decimal id="{id}" valueName="{vn}" required="true"{min}{max} /></elements>"#
                );
            }
            LeafKind::Enum(items) => {
                let _ = writeln!(x, r#"      <elements>"#);
                let _ = writeln!(
                    x,
                    r#"        <enum id="{id}" valueName="{vn}" required="true">"#
                );
                for it in items {
                    let _ = writeln!(
                        x,
                        r#"          <item displayName="$(string.{id}_{it})"><value><string>{}</string></value></item>"#,
                        esc(it)
                    );
                }
                let _ = writeln!(x, "        </enum>\n      </elements>");
            }
            LeafKind::Text => {
                let _ = writeln!(
                    x,
                    r#"      <elements><text id="{id}" valueName="{vn}" maxLength="{TEXT_MAX_LENGTH}" required="true" /></elements>"#
                );
            }
            LeafKind::MultiText => {
                let _ = writeln!(
                    x,
                    r#"      <elements><multiText id="{id}" valueName="{vn}" maxLength="{JSON_MAX_LENGTH}" /></elements>"#
                );
            }
            LeafKind::Json => {
                let _ = writeln!(
                    x,
                    r#"      <elements><text id="{id}" valueName="{vn}" maxLength="{JSON_MAX_LENGTH}" required="true" /></elements>"#
                );
            }
        }
        let _ = writeln!(x, "    </policy>");
    }
    let _ = writeln!(x, "  </policies>\n</policyDefinitions>");
    x
}

/// The en-US `.adml` file.
pub fn adml_en_us() -> String {
    let schema = policy_schema();
    let leaves = leaves(schema);
    let mut strings: Vec<(String, String)> = vec![
        ("Lifeline".into(), "Lifeline softphone".into()),
        (SUPPORTED.into(), "Lifeline 0.1 and later".into()),
    ];
    let mut cats: BTreeSet<Vec<String>> = BTreeSet::new();
    for l in &leaves {
        let sections: Vec<String> = l.key.split('.').map(str::to_owned).collect();
        for n in 1..sections.len() {
            cats.insert(sections[..n].to_vec());
        }
    }
    for c in &cats {
        let refs: Vec<&str> = c.iter().map(String::as_str).collect();
        strings.push((category_id(&refs), title(&c.join("."))));
    }
    let mut presentations = String::new();
    for l in &leaves {
        let id = &l.id;
        strings.push((id.clone(), title(&l.key)));
        let description = l
            .prop
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .replace('\n', " ");
        let default = l
            .prop
            .get("default")
            .map(Value::to_string)
            .unwrap_or_else(|| "none".into());
        let format_note = match &l.kind {
            LeafKind::Json => {
                "\n\nEnter the value as JSON, exactly as in policy.json: ".to_owned()
                    + &describe(&l.prop, schema)
            }
            LeafKind::MultiText => "\n\nOne entry per line.".to_owned(),
            _ => String::new(),
        };
        strings.push((
            format!("{id}_Explain"),
            format!(
                "{description}{format_note}\n\nJSON key: {}\nDefault: {default}\nRegistry: HKLM\\{}, value {} ({})\n\nWhen this policy is enabled the agent cannot change the setting; the app shows it as managed by your organisation.",
                l.key,
                l.reg_key.replace("Software", "SOFTWARE"),
                l.value_name,
                l.kind.registry_type()
            ),
        ));
        if let LeafKind::Enum(items) = &l.kind {
            for it in items {
                strings.push((format!("{id}_{it}"), it.replace('_', " ")));
            }
        }
        let label = esc(&title(&l.value_name));
        let default_attr = |v: Option<&Value>| match v {
            Some(Value::String(s)) => format!(r#" defaultValue="{}""#, esc(s)),
            Some(Value::Number(n)) => format!(r#" defaultValue="{n}""#),
            _ => String::new(),
        };
        let body = match &l.kind {
            LeafKind::Bool => continue,
            LeafKind::Decimal { .. } => {
                format!(
                    r#"<decimalTextBox refId="{id}"{}>{label}</decimalTextBox>"#,
                    default_attr(l.prop.get("default"))
                )
            }
            LeafKind::Enum(items) => {
                let idx = l
                    .prop
                    .get("default")
                    .and_then(Value::as_str)
                    .and_then(|d| items.iter().position(|i| i == d));
                let def = idx
                    .map(|i| format!(r#" defaultItem="{i}""#))
                    .unwrap_or_default();
                format!(r#"<dropdownList refId="{id}" noSort="true"{def}>{label}</dropdownList>"#)
            }
            LeafKind::Text | LeafKind::Json => {
                format!(r#"<textBox refId="{id}"><label>{label}</label></textBox>"#)
            }
            LeafKind::MultiText => format!(r#"<multiTextBox refId="{id}">{label}</multiTextBox>"#),
        };
        let _ = writeln!(
            presentations,
            "      <presentation id=\"{id}\">\n        {body}\n      </presentation>"
        );
    }
    let mut x = String::new();
    let _ = writeln!(x, r#"<?xml version="1.0" encoding="utf-8"?>"#);
    let _ = writeln!(
        x,
        "<!-- Generated from the Lifeline policy types; do not edit (see src-tauri/engine/src/policy/admx.rs). -->"
    );
    let _ = writeln!(
        x,
        r#"<policyDefinitionResources xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" revision="1.0" schemaVersion="1.0" xmlns="{NS}">"#
    );
    let _ = writeln!(x, "  <displayName>Lifeline softphone</displayName>");
    let _ = writeln!(
        x,
        "  <description>Managed policy for the Lifeline softphone (HKLM\\SOFTWARE\\Policies\\Lifeline).</description>"
    );
    let _ = writeln!(x, "  <resources>\n    <stringTable>");
    for (id, text) in &strings {
        let _ = writeln!(x, r#"      <string id="{id}">{}</string>"#, esc(text));
    }
    let _ = writeln!(x, "    </stringTable>\n    <presentationTable>");
    x.push_str(&presentations);
    let _ = writeln!(
        x,
        "    </presentationTable>\n  </resources>\n</policyDefinitionResources>"
    );
    x
}
