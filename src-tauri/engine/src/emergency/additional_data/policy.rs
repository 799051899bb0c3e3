//! `emergency.additional_data.*`: what the organisation tells the dispatcher about itself in the RFC 7852
//! blocks of every emergency INVITE. On by default, with what is known (the SIP domain as the
//! organisation's name until IT names it); every field is optional.

use serde::{Deserialize, Serialize};

/// Longest text IT may set for one field (the organisation's name, a contact): the blocks ride in the
/// INVITE, which must stay small enough for every hop.
pub const TEXT_MAX: usize = 256;
/// At most this many languages.
pub const LANGUAGES_MAX: usize = 8;

/// RFC 7852 section 4.3.1 (registry "Device Classification"): the soft-client entries a softphone may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceClassification {
    /// "desktop": a soft client on a desktop PC.
    Desktop,
    /// "laptop": a soft client on a laptop.
    Laptop,
    /// "tablet".
    Tablet,
}

impl DeviceClassification {
    /// The registry's token.
    pub fn token(self) -> &'static str {
        match self {
            DeviceClassification::Desktop => "desktop",
            DeviceClassification::Laptop => "laptop",
            DeviceClassification::Tablet => "tablet",
        }
    }
}

/// RFC 7852 section 4.2.2 (registry "Service Type"): the multi-line telephone system the agents' lines
/// belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceType {
    /// "MLTS-hosted": a hosted multi-line telephone system (a hosted PBX, Centrex).
    #[default]
    MltsHosted,
    /// "MLTS-local": the organisation's own PBX.
    MltsLocal,
}

impl ServiceType {
    /// The registry's token.
    pub fn token(self) -> &'static str {
        match self {
            ServiceType::MltsHosted => "MLTS-hosted",
            ServiceType::MltsLocal => "MLTS-local",
        }
    }
}

/// `emergency.additional_data`
///
/// | key | default | meaning |
/// | --- | --- | --- |
/// | `enabled` | true | send the RFC 7852 blocks (ProviderInfo, ServiceInfo, DeviceInfo, SubscriberInfo) |
/// | `organisation` | the SIP domain | the organisation's name as the dispatcher reads it (DataProviderString) |
/// | `contact_tel` | none | the organisation's 24/7 telephone number, E.164 (`+15125550100`) |
/// | `contact_uri` | none | the organisation's 24/7 SIP address (`sip:`/`sips:`) |
/// | `contact_email` | none | the organisation's 24/7 email address |
/// | `languages` | `[]` | languages spoken at that contact (BCP 47: `en`, `fr-CA`) |
/// | `service_type` | `mlts_hosted` | the agents' phone system: `mlts_hosted` (hosted PBX) or `mlts_local` (own PBX) |
/// | `device_classification` | none | `desktop`, `laptop` or `tablet` (left out when unset) |
/// | `privacy_requested` | false | the SubscriberInfo block asks the dispatcher to keep the agent's data private |
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdditionalDataPolicy {
    pub enabled: bool,
    pub organisation: Option<String>,
    pub contact_tel: Option<String>,
    pub contact_uri: Option<String>,
    pub contact_email: Option<String>,
    pub languages: Vec<String>,
    pub service_type: ServiceType,
    pub device_classification: Option<DeviceClassification>,
    pub privacy_requested: bool,
}

impl Default for AdditionalDataPolicy {
    fn default() -> Self {
        AdditionalDataPolicy {
            enabled: true,
            organisation: None,
            contact_tel: None,
            contact_uri: None,
            contact_email: None,
            languages: Vec::new(),
            service_type: ServiceType::MltsHosted,
            device_classification: None,
            privacy_requested: false,
        }
    }
}

/// A value IT set that cannot go to the dispatcher; the message names the key, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdditionalDataError {
    #[error("emergency.additional_data.{0} must be 1 to {TEXT_MAX} characters without control characters")]
    Text(&'static str),
    #[error("emergency.additional_data.contact_tel must be an E.164 number: + and 8 to 15 digits")]
    Tel,
    #[error("emergency.additional_data.contact_uri must be a sip: or sips: URI without spaces")]
    Uri,
    #[error("emergency.additional_data.contact_email must be an address like name@example.com")]
    Email,
    #[error(
        "emergency.additional_data.languages entry {0} must be a language tag such as en or fr-CA"
    )]
    Language(usize),
    #[error("emergency.additional_data.languages has more than {LANGUAGES_MAX} entries")]
    TooManyLanguages,
}

/// Text that XML 1.0 can carry and a dispatcher's screen can show: no control characters.
pub fn plain_text(s: &str) -> bool {
    !s.trim().is_empty() && s.chars().count() <= TEXT_MAX && !s.chars().any(char::is_control)
}

/// `+` and 8 to 15 digits (ITU-T E.164).
pub fn e164(s: &str) -> bool {
    s.strip_prefix('+')
        .is_some_and(|d| (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

/// A BCP 47 tag as far as XML Schema's `xs:language` goes: 1-8 letters, then `-` and 1-8 letters or digits.
pub fn language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn sip_uri(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    (lower.starts_with("sip:") || lower.starts_with("sips:"))
        && s.chars().count() <= TEXT_MAX
        && s.split_once(':').is_some_and(|(_, rest)| !rest.is_empty())
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"".contains(c))
}

/// `local@host.tld`: one `@`, a dot inside the host, no spaces, controls or `<>"`.
fn email(s: &str) -> bool {
    let host_ok = |h: &str| {
        let chars: Vec<char> = h.chars().collect();
        chars.len() >= 3 && chars[1..chars.len() - 1].contains(&'.')
    };
    s.chars().count() <= TEXT_MAX
        && s.split_once('@')
            .is_some_and(|(local, host)| !local.is_empty() && !host.contains('@') && host_ok(host))
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"".contains(c))
}

impl AdditionalDataPolicy {
    /// Checks the values IT set (the engine refuses a policy that fails and keeps the defaults).
    pub fn validate(&self) -> Result<(), AdditionalDataError> {
        if self.organisation.as_deref().is_some_and(|o| !plain_text(o)) {
            return Err(AdditionalDataError::Text("organisation"));
        }
        if self.contact_tel.as_deref().is_some_and(|t| !e164(t)) {
            return Err(AdditionalDataError::Tel);
        }
        if self.contact_uri.as_deref().is_some_and(|u| !sip_uri(u)) {
            return Err(AdditionalDataError::Uri);
        }
        if self.contact_email.as_deref().is_some_and(|e| !email(e)) {
            return Err(AdditionalDataError::Email);
        }
        if self.languages.len() > LANGUAGES_MAX {
            return Err(AdditionalDataError::TooManyLanguages);
        }
        if let Some(i) = self.languages.iter().position(|l| !language_tag(l)) {
            return Err(AdditionalDataError::Language(i));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_by_default_with_nothing_set_and_valid() {
        let p: AdditionalDataPolicy = serde_json::from_str("{}").expect("parse");
        assert_eq!(p, AdditionalDataPolicy::default());
        assert!(p.enabled);
        assert!(p.validate().is_ok());
    }

    #[test]
    fn each_field_is_checked_and_the_error_names_the_key_not_the_value() {
        let bad = [
            (r#"{"organisation":"Acme\u0007"}"#, "organisation"),
            (r#"{"organisation":"   "}"#, "organisation"),
            (r#"{"contact_tel":"555-0100"}"#, "contact_tel"),
            (r#"{"contact_uri":"https://acme.example"}"#, "contact_uri"),
            (r#"{"contact_email":"desk at acme"}"#, "contact_email"),
            (r#"{"languages":["en","english language"]}"#, "languages"),
        ];
        for (json, key) in bad {
            let p: AdditionalDataPolicy = serde_json::from_str(json).expect(json);
            let e = p.validate().expect_err(json).to_string();
            assert!(e.contains(key), "{e}");
            assert!(!e.contains("Acme") && !e.contains("555"), "{e}");
        }
        let good: AdditionalDataPolicy = serde_json::from_str(
            r#"{"organisation":"Acme <Support> & Co","contact_tel":"+15125550100",
                "contact_uri":"sip:desk@acme.example","contact_email":"desk@acme.example",
                "languages":["en","fr-CA"],"device_classification":"laptop","privacy_requested":true}"#,
        )
        .expect("parse");
        assert_eq!(good.validate(), Ok(()));
    }
}
