//! Optional copy of the audit log to `audit.url`: entries are POSTed one by one, in order, each with
//! its hash (`X-Lifeline-Idempotency-Key`), and the cursor advances only after a 2xx answer. A failing
//! server is tried again on the worker's next round; nothing is lost, a retried entry may arrive twice.

use std::sync::Mutex;

use crate::store::{Store, StoreError};

pub struct AuditPoster {
    url: String,
    http: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditPostError {
    #[error("the HTTP client for audit.url could not be set up: {0}")]
    Client(String),
    /// http:// to another machine: the audit log would cross the network in clear (the URL is not in the
    /// text, it may carry a token).
    #[error("audit.url is not https://: audit entries are posted only over https, none are sent; IT must change audit.url")]
    InsecureUrl,
}

impl AuditPoster {
    /// `http_client` builds the HTTP client (the notification worker passes the one it delivers webhooks
    /// with: same TLS roots and timeouts), so the audit log needs nothing from the notify module.
    pub fn new<E: std::fmt::Display>(
        url: String,
        http_client: impl FnOnce() -> Result<reqwest::Client, E>,
    ) -> Result<AuditPoster, AuditPostError> {
        if !crate::net_url::is_https_or_loopback_http(&url) {
            return Err(AuditPostError::InsecureUrl);
        }
        let http = http_client().map_err(|e| AuditPostError::Client(e.to_string()))?;
        Ok(AuditPoster { url, http })
    }

    /// Posts every entry not yet posted; stops at the first failure. Returns how many were posted.
    pub async fn post_pending(&mut self, store: &Mutex<Store>) -> usize {
        let mut posted = 0;
        loop {
            let batch = match lock(store, |s| -> Result<_, StoreError> {
                let after = s.audit_posted_up_to()?;
                s.audit_entries(after, 32)
            }) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "audit: cannot read the log");
                    return posted;
                }
            };
            if batch.is_empty() {
                return posted;
            }
            for entry in batch {
                let ok = match self
                    .http
                    .post(&self.url)
                    .header("X-Lifeline-Idempotency-Key", &entry.hash)
                    .json(&entry)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => true,
                    Ok(r) => {
                        tracing::warn!(
                            status = r.status().as_u16(),
                            "audit: audit.url refused an entry; will retry"
                        );
                        false
                    }
                    Err(e) => {
                        tracing::warn!(error = %e.without_url(), "audit: audit.url unreachable; will retry");
                        false
                    }
                };
                if !ok {
                    return posted;
                }
                if let Err(e) = lock(store, |s| s.audit_set_posted(entry.id)) {
                    tracing::error!(error = %e, "audit: cannot record the posted entry");
                    return posted;
                }
                posted += 1;
            }
        }
    }
}

fn lock<T>(store: &Mutex<Store>, f: impl FnOnce(&Store) -> T) -> T {
    let guard = store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&guard)
}
