//! Email delivery over SMTP (lettre): plain, STARTTLS or TLS, with optional AUTH.

use std::time::Duration;

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::deliver::DeliveryError;
use super::policy::{SecretSource, SmtpPolicy, SmtpTls};
use super::render::Rendered;

const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// `X-Lifeline-Idempotency-Key`: the same on every delivery of one notice to one recipient.
#[derive(Debug, Clone)]
struct IdempotencyKey(String);

impl Header for IdempotencyKey {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Lifeline-Idempotency-Key")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(IdempotencyKey(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `Importance: high`, so mail clients flag it.
#[derive(Debug, Clone)]
struct Importance;

impl Header for Importance {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Importance")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Importance)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "high".to_owned())
    }
}

/// The Message-ID of one delivery: `<key@domain of the sender>`.
pub fn message_id(key: &str, from: &Mailbox) -> String {
    format!("<{key}@{}>", from.email.domain())
}

/// Builds the message (a bad address is a permanent error: retrying would not help).
pub fn build_message(
    smtp: &SmtpPolicy,
    to: &str,
    key: &str,
    thread_key: Option<&str>,
    r: &Rendered,
) -> Result<Message, DeliveryError> {
    let from: Mailbox = smtp.from.parse().map_err(|_| DeliveryError::BadAddress {
        which: "notify.smtp.from",
    })?;
    let to: Mailbox = to.parse().map_err(|_| DeliveryError::BadAddress {
        which: "notify.email_to",
    })?;
    let mut b = Message::builder()
        .message_id(Some(message_id(key, &from)))
        .from(from.clone())
        .to(to)
        .subject(r.subject.clone())
        .header(IdempotencyKey(key.to_owned()))
        .header(Importance)
        .header(ContentType::TEXT_PLAIN);
    if let Some(t) = thread_key {
        let first = message_id(t, &from);
        b = b.in_reply_to(first.clone()).references(first);
    }
    b.body(r.body.clone())
        .map_err(|e| DeliveryError::Build(e.to_string()))
}

/// Sends one message through the policy's server.
pub async fn send(
    smtp: &SmtpPolicy,
    secrets: &dyn SecretSource,
    message: Message,
) -> Result<(), DeliveryError> {
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
        .port(smtp.effective_port())
        .timeout(Some(SMTP_TIMEOUT));
    if smtp.tls != SmtpTls::None {
        let mut params = TlsParameters::builder(smtp.host.clone());
        if let Some(path) = &smtp.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| DeliveryError::Tls(format!("cannot read notify.smtp.ca_file: {e}")))?;
            let cert = Certificate::from_pem(&pem)
                .map_err(|e| DeliveryError::Tls(format!("notify.smtp.ca_file: {e}")))?;
            params = params.add_root_certificate(cert);
        }
        let params = params
            .build_rustls()
            .map_err(|e| DeliveryError::Tls(e.to_string()))?;
        builder = builder.tls(match smtp.tls {
            SmtpTls::Tls => Tls::Wrapper(params),
            _ => Tls::Required(params),
        });
    }
    if let Some(user) = &smtp.user {
        let password = match &smtp.password_ref {
            Some(r) => secrets.secret(r).map_err(DeliveryError::Secret)?,
            None => String::new(),
        };
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    let transport = builder.build();
    match transport.send(message).await {
        Ok(_) => Ok(()),
        Err(e) => Err(DeliveryError::Smtp {
            permanent: e.is_permanent(),
            message: e.to_string(),
        }),
    }
}
