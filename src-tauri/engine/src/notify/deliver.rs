//! One attempt to deliver one outbox row: render it, then send it by email or webhook.
//! Errors say whether retrying can help; their text never holds the notice's address.

use std::sync::Arc;
use std::time::Duration;

use super::email;
use super::notice::{idempotency_key, EmergencyNotice, NoticeKind};
use super::outbox::{Channel, OutboxRow};
use super::policy::{NotifyPolicy, SecretError, SecretSource, WebhookFormat};
use super::presence::presence_body;
use super::render::{render, webhook_body, RenderError};

const HTTP_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    #[error("{0}")]
    Render(#[from] RenderError),
    #[error("the stored notice cannot be read ({0}); it is skipped")]
    Corrupt(String),
    #[error("{which} is not a valid email address: fix the policy")]
    BadAddress { which: &'static str },
    #[error("the email could not be built: {0}")]
    Build(String),
    #[error("email is configured (notify.email_to) but notify.smtp is missing: add the mail server to the policy")]
    NoSmtpServer,
    #[error("the webhook's format {0:?} is unknown")]
    UnknownFormat(String),
    #[error("the SMTP password could not be read: {0}")]
    Secret(SecretError),
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("the mail server refused or could not be reached: {message}")]
    Smtp { permanent: bool, message: String },
    #[error("the webhook answered HTTP {status}")]
    HttpStatus { status: u16 },
    #[error("the webhook could not be reached: {0}")]
    Http(String),
    /// A `notify.webhooks` or `presence.webhooks` URL that is not https:// (http:// is allowed only to this
    /// machine). The URL is not in the text: it may carry the webhook's secret.
    #[error("a webhook URL is not https://: notices are posted only over https; IT must change notify.webhooks or presence.webhooks")]
    InsecureUrl,
}

impl DeliveryError {
    /// True when retrying cannot help (the policy or the receiver must change first).
    pub fn is_permanent(&self) -> bool {
        match self {
            DeliveryError::Corrupt(_)
            | DeliveryError::BadAddress { .. }
            | DeliveryError::Build(_)
            | DeliveryError::UnknownFormat(_)
            | DeliveryError::InsecureUrl => true,
            DeliveryError::Smtp { permanent, .. } => *permanent,
            // 408 timeout, 425 too early, 429 rate limited: later may work; any other 4xx will not.
            DeliveryError::HttpStatus { status } => {
                (400..500).contains(status) && !matches!(status, 408 | 425 | 429)
                    || (300..400).contains(status)
            }
            // A missing server, secret or template may be fixed by a policy update: keep retrying.
            DeliveryError::Render(_)
            | DeliveryError::NoSmtpServer
            | DeliveryError::Secret(_)
            | DeliveryError::Tls(_)
            | DeliveryError::Http(_) => false,
        }
    }
}

/// What a delivery attempt needs besides the row.
pub struct Deliverer {
    pub policy: NotifyPolicy,
    pub secrets: Arc<dyn SecretSource>,
    http: reqwest::Client,
}

impl Deliverer {
    pub fn new(
        policy: NotifyPolicy,
        secrets: Arc<dyn SecretSource>,
    ) -> Result<Deliverer, DeliveryError> {
        Ok(Deliverer {
            policy,
            secrets,
            http: http_client()?,
        })
    }

    /// Sends `row` once.
    pub async fn deliver(&self, row: &OutboxRow) -> Result<(), DeliveryError> {
        if row.channel == Channel::Presence.as_str() {
            let body = presence_body(row).map_err(|e| DeliveryError::Corrupt(e.to_string()))?;
            return self.post(row, "presence.changed", &body).await;
        }
        let notice: EmergencyNotice =
            serde_json::from_str(&row.notice).map_err(|e| DeliveryError::Corrupt(e.to_string()))?;
        let locale = self.policy.locale_of(&row.channel, &row.recipient);
        let rendered = render(
            &notice,
            &row.idempotency_key,
            &self.policy.templates,
            locale,
        )?;
        match row.channel.as_str() {
            "email" => {
                let smtp = self
                    .policy
                    .smtp
                    .as_ref()
                    .ok_or(DeliveryError::NoSmtpServer)?;
                // Follow-ups reply to the first mail of the call, so clients thread them.
                let thread =
                    (notice.kind != NoticeKind::Dialed && notice.kind.of_a_call()).then(|| {
                        let mut first = notice.clone();
                        first.kind = NoticeKind::Dialed;
                        idempotency_key(&first.notice_id(), "email", &row.recipient)
                    });
                let msg = email::build_message(
                    smtp,
                    &row.recipient,
                    &row.idempotency_key,
                    thread.as_deref(),
                    &rendered,
                )?;
                email::send(smtp, self.secrets.as_ref(), msg).await
            }
            _ => {
                let format = WebhookFormat::parse(&row.format)
                    .ok_or_else(|| DeliveryError::UnknownFormat(row.format.clone()))?;
                let body = webhook_body(format, &notice, &row.idempotency_key, &rendered);
                let event = format!("emergency.{}", notice.kind.as_str());
                self.post(row, &event, &body).await
            }
        }
    }

    /// POSTs `body` to the row's URL (https://, or http:// to this machine only) with its idempotency key.
    async fn post(
        &self,
        row: &OutboxRow,
        event: &str,
        body: &serde_json::Value,
    ) -> Result<(), DeliveryError> {
        if !crate::net_url::is_https_or_loopback_http(&row.recipient) {
            return Err(DeliveryError::InsecureUrl);
        }
        let resp = self
            .http
            .post(&row.recipient)
            .header("X-Lifeline-Idempotency-Key", &row.idempotency_key)
            .header("X-Lifeline-Event", event)
            .json(body)
            .send()
            .await
            .map_err(|e| DeliveryError::Http(without_url(e)))?;
        let status = resp.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(DeliveryError::HttpStatus {
                status: status.as_u16(),
            })
        }
    }
}

/// reqwest's error text includes the URL, which may carry a webhook secret: drop it.
fn without_url(e: reqwest::Error) -> String {
    e.without_url().to_string()
}

/// An HTTP client on rustls with the ring provider (as the rest of the engine) and the OS's roots;
/// redirects are not followed (a POST would become a GET).
pub fn http_client() -> Result<reqwest::Client, DeliveryError> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let _ = roots.add_parsable_certificates(native.certs);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DeliveryError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(HTTP_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Lifeline/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| DeliveryError::Http(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_are_permanent_but_rate_limits_and_server_errors_are_retried() {
        let p = |status| DeliveryError::HttpStatus { status }.is_permanent();
        assert!(p(404) && p(400) && p(301));
        assert!(!p(429) && !p(408) && !p(500) && !p(503));
        assert!(!DeliveryError::Http("connection refused".into()).is_permanent());
    }
}
