//! The policy keys under `notify.*`: who is told about an emergency call, and how.
//!
//! The policy engineer embeds [`NotifyPolicy`] as the `notify` section; passwords are never in the policy,
//! only the name of a keychain entry (`password_ref`), resolved through [`SecretSource`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `notify`: recipients of emergency notifications.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyPolicy {
    /// `notify.smtp`: the mail server; without it, `email_to` cannot be delivered.
    pub smtp: Option<SmtpPolicy>,
    /// `notify.email_to`: addresses that get an email for each emergency call and its follow-ups (in
    /// English).
    pub email_to: Vec<String>,
    /// `notify.email_contacts`: more addresses like `email_to`, each with the language its mails are
    /// written in (`{"address": ..., "locale": "pt-BR"}`).
    pub email_contacts: Vec<EmailContact>,
    /// `notify.webhooks`: URLs that get a POST for each emergency call and its follow-ups.
    pub webhooks: Vec<WebhookTarget>,
    /// `notify.templates`: overrides of the built-in templates (minijinja syntax).
    pub templates: TemplateOverrides,
}

impl NotifyPolicy {
    /// True when an emergency call would notify nobody.
    pub fn has_recipients(&self) -> bool {
        !self.email_to.is_empty() || !self.email_contacts.is_empty() || !self.webhooks.is_empty()
    }

    /// The language of the notices to outbox recipient `recipient` of `channel` ("email" or "webhook"):
    /// the contact's `locale`, English when it has none (or is no longer in the policy).
    pub fn locale_of(&self, channel: &str, recipient: &str) -> &str {
        let found = if channel == "email" {
            self.email_contacts
                .iter()
                .find(|c| c.address == recipient)
                .and_then(|c| c.locale.as_deref())
        } else {
            self.webhooks
                .iter()
                .find(|w| w.url == recipient)
                .and_then(|w| w.locale.as_deref())
        };
        found.unwrap_or("en")
    }
}

/// One entry of `notify.email_contacts`: an address and the language to write to it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailContact {
    pub address: String,
    /// The language of the mails to this contact, e.g. "pt-BR"; English when unset.
    #[serde(default)]
    pub locale: Option<String>,
}

impl NotifyPolicy {
    /// Every address that gets an email: `email_to`, then `email_contacts`.
    pub fn email_addresses(&self) -> impl Iterator<Item = &str> {
        self.email_to
            .iter()
            .map(String::as_str)
            .chain(self.email_contacts.iter().map(|c| c.address.as_str()))
    }
}

/// `notify.smtp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpPolicy {
    pub host: String,
    /// Default: 25 for `none`, 587 for `starttls`, 465 for `tls`.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: SmtpTls,
    /// The sender address, e.g. `Lifeline <lifeline@example.com>`.
    pub from: String,
    /// Login for SMTP AUTH; none means no authentication.
    #[serde(default)]
    pub user: Option<String>,
    /// Name of the keychain entry holding the SMTP password.
    #[serde(default)]
    pub password_ref: Option<String>,
    /// Extra trusted root certificate (PEM file) for a private mail server's CA.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

impl SmtpPolicy {
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        })
    }
}

/// `notify.smtp.tls`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain SMTP (only for a relay on a trusted network).
    None,
    /// Plain connection upgraded with STARTTLS; refused if the server does not offer it.
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// One entry of `notify.webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookTarget {
    pub url: String,
    #[serde(default)]
    pub format: WebhookFormat,
    /// The language of the texts posted (e.g. "pt-BR"); English when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// The body a webhook receives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// Lifeline's own JSON (the notice's fields plus a rendered `text`); `json` is accepted too.
    #[default]
    #[serde(alias = "json")]
    Generic,
    /// A Slack incoming-webhook message (`text` + blocks).
    Slack,
    /// A Microsoft Teams Workflows message with an Adaptive Card.
    Teams,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Generic => "generic",
            WebhookFormat::Slack => "slack",
            WebhookFormat::Teams => "teams",
        }
    }

    pub fn parse(s: &str) -> Option<WebhookFormat> {
        match s {
            "generic" | "json" => Some(WebhookFormat::Generic),
            "slack" => Some(WebhookFormat::Slack),
            "teams" => Some(WebhookFormat::Teams),
            _ => None,
        }
    }
}

/// `notify.templates`: each one replaces the built-in template of the same name (see
/// `assets/templates/notify/`). Variables: `notice`, `kind`, `agent`, `location`, `address_lines`,
/// `device`, `time_local`, `time_utc` (see `render.rs`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TemplateOverrides {
    pub email_subject: Option<String>,
    pub email_body: Option<String>,
    /// The short text used by Slack, Teams (card title) and the generic webhook's `text`.
    pub chat_text: Option<String>,
}

/// Why a secret could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the keychain has no entry named {0}: ask IT to provision it")]
    NotFound(String),
    #[error("the keychain could not be read: {0}")]
    Unavailable(String),
}

/// Resolves `password_ref` names (the OS keychain in the app; a map in tests).
pub trait SecretSource: Send + Sync {
    fn secret(&self, reference: &str) -> Result<String, SecretError>;
}

/// A secret source with nothing in it (no SMTP auth configured).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSecrets;

impl SecretSource for NoSecrets {
    fn secret(&self, reference: &str) -> Result<String, SecretError> {
        Err(SecretError::NotFound(reference.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_parses_from_the_documented_keys() {
        let p: NotifyPolicy = serde_json::from_str(
            r#"{"smtp":{"host":"mail.example.com","tls":"starttls","from":"lifeline@example.com",
                 "user":"lifeline","password_ref":"lifeline-smtp"},
                "email_to":["security@example.com"],
                "webhooks":[{"url":"https://hooks.example.com/a","format":"slack"},{"url":"https://x.example/b"}]}"#,
        )
        .expect("parse");
        let smtp = p.smtp.as_ref().expect("smtp");
        assert_eq!(smtp.effective_port(), 587);
        assert_eq!(p.webhooks[1].format, WebhookFormat::Generic);
        assert!(p.has_recipients());
    }

    #[test]
    fn each_contact_may_say_its_language() {
        let p: NotifyPolicy = serde_json::from_str(
            r#"{"email_to":["a@example.com"],"email_contacts":[{"address":"b@example.com","locale":"pt-BR"}],
                "webhooks":[{"url":"https://hooks.example.com/a","format":"slack","locale":"th"}]}"#,
        )
        .expect("parse");
        assert_eq!(p.locale_of("email", "a@example.com"), "en");
        assert_eq!(p.locale_of("email", "b@example.com"), "pt-BR");
        assert_eq!(p.locale_of("webhook", "https://hooks.example.com/a"), "th");
        assert_eq!(p.locale_of("webhook", "https://gone.example.com"), "en");
        assert_eq!(
            p.email_addresses().collect::<Vec<_>>(),
            ["a@example.com", "b@example.com"]
        );
        for typo in [
            r#"{"adress":"x@example.com"}"#,
            r#"{"address":"x@example.com","locale":"th","lang":"th"}"#,
        ] {
            let doc = format!(r#"{{"email_contacts":[{typo}]}}"#);
            assert!(serde_json::from_str::<NotifyPolicy>(&doc).is_err(), "{doc}");
        }
    }

    #[test]
    fn unknown_keys_are_refused_so_typos_do_not_silently_drop_recipients() {
        assert!(serde_json::from_str::<NotifyPolicy>(r#"{"email":["a@example.com"]}"#).is_err());
    }

    #[test]
    fn empty_policy_notifies_nobody() {
        assert!(!NotifyPolicy::default().has_recipients());
    }
}
