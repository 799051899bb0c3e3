//! Passwords in the OS keychain: the SIP password the agent asked to remember, and the SMTP password IT
//! provisions for emergency notifications (`notify.smtp.password_ref`).
//!
//! Built on `keyring-core` and one platform store per OS (see `platform.rs`): the Secret Service on Linux
//! (gnome-keyring, KWallet), the login keychain on macOS, the Credential Manager on Windows.
//!
//! # API
//! - [`Keychain::open`]: the platform's keychain, or [`KeychainError::NoService`] /
//!   [`KeychainError::Unsupported`] when there is none ("passwords cannot be remembered"). Cheap to clone.
//! - [`Keychain::save`]`(account, secret)`: creates or replaces the entry.
//! - [`Keychain::load`]`(account) -> Option<String>`: `None` when there is no such entry.
//! - [`Keychain::delete`]`(account) -> bool`: `false` when there was nothing to delete.
//! - [`sip_account`]`(user, domain)`: the account name of a SIP password, `sip:<user>@<domain>`.
//! - [`turn_account`]`(credential_ref)`: the account name of a TURN password, `turn:<credential_ref>`.
//! - `Keychain` implements [`crate::notify::SecretSource`], so `password_ref` names resolve from it.
//!
//! Every entry lives under the service name [`SERVICE`] (the app's bundle identifier). An SMTP password is
//! stored under the account named by `password_ref`, verbatim, so IT can provision it with the platform's
//! own tools:
//! - Linux: `secret-tool store --label='Lifeline SMTP' service app.lifeline.softphone username <password_ref>`
//! - macOS: `security add-generic-password -s app.lifeline.softphone -a <password_ref> -w`
//! - Windows: a generic credential whose target is `<password_ref>.app.lifeline.softphone` (`cmdkey
//!   /generic:<password_ref>.app.lifeline.softphone /user:<password_ref> /pass`).
//!
//! A TURN password (`media.ice_servers[].credential_ref`) is stored the same way under the account
//! `turn:<credential_ref>` (e.g. `secret-tool store --label='Lifeline TURN' service app.lifeline.softphone
//! username turn:<credential_ref>`); see docs/deploy.md.
//!
//! # Blocking
//! Every call talks to an OS service (D-Bus on Linux) and may wait while the OS asks the user to unlock the
//! keychain. Call it from a blocking thread (`tokio::task::spawn_blocking`), never from the SIP or audio
//! paths. Nothing here logs or returns a secret in an error.
//!
//! # One store per keychain
//! The store is held by the [`Keychain`] value rather than set as keyring-core's process-wide default, so
//! tests can run side by side on their own mock stores ([`Keychain::with_store`]).

mod error;
mod notify_source;
mod platform;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};

pub use error::KeychainError;

/// The service name every Lifeline entry is stored under (the app's bundle identifier).
pub const SERVICE: &str = "app.lifeline.softphone";

/// The account name of a SIP password: `sip:<user>@<domain>`, with the domain in lower case (domains are
/// case-insensitive, the user part is not).
pub fn sip_account(user: &str, domain: &str) -> String {
    format!("sip:{}@{}", user.trim(), domain.trim().to_ascii_lowercase())
}

/// The account name of a TURN password IT provisions: `turn:<credential_ref>` (`media.ice_servers[].credential_ref`
/// names it). The prefix keeps a policy's reference from ever naming a SIP password or an SMTP entry.
pub fn turn_account(credential_ref: &str) -> String {
    format!("turn:{credential_ref}")
}

/// The OS keychain (or, in tests, any keyring-core store).
#[derive(Clone)]
pub struct Keychain {
    store: Arc<CredentialStore>,
    service: String,
}

impl std::fmt::Debug for Keychain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keychain")
            .field("store", &self.store.vendor())
            .field("service", &self.service)
            .finish()
    }
}

impl Keychain {
    /// The keychain of this platform, with entries under [`SERVICE`].
    pub fn open() -> Result<Keychain, KeychainError> {
        let store = platform::default_store()?;
        tracing::debug!(store = %store.vendor(), "keychain: opened");
        Ok(Keychain {
            store,
            service: SERVICE.to_owned(),
        })
    }

    /// A keychain over the given store and service name (tests use `keyring_core::mock::Store`).
    pub fn with_store(store: Arc<CredentialStore>, service: &str) -> Keychain {
        Keychain {
            store,
            service: service.to_owned(),
        }
    }

    /// Who provides the entries, e.g. "Secret Service store, …" (for diagnostics; never secret).
    pub fn vendor(&self) -> String {
        self.store.vendor()
    }

    /// Creates or replaces the entry `account`. An empty secret is refused (not every store can hold one).
    pub fn save(&self, account: &str, secret: &str) -> Result<(), KeychainError> {
        if secret.is_empty() {
            return Err(KeychainError::EmptySecret {
                account: account.to_owned(),
            });
        }
        self.entry(account)?
            .set_password(secret)
            .map_err(|e| KeychainError::from_store(e, account))?;
        tracing::info!(account, "keychain: password saved");
        Ok(())
    }

    /// The secret stored under `account`, or `None` when there is no such entry.
    pub fn load(&self, account: &str) -> Result<Option<String>, KeychainError> {
        match self.entry(account)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(KeychainError::from_store(e, account)),
        }
    }

    /// Removes the entry `account`; `false` when there was none.
    pub fn delete(&self, account: &str) -> Result<bool, KeychainError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) => {
                tracing::info!(account, "keychain: password deleted");
                Ok(true)
            }
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(KeychainError::from_store(e, account)),
        }
    }

    fn entry(&self, account: &str) -> Result<Entry, KeychainError> {
        if account.trim().is_empty() {
            return Err(KeychainError::Rejected {
                account: account.to_owned(),
                reason: "the entry has no name".to_owned(),
            });
        }
        self.store
            .build(&self.service, account, None)
            .map_err(|e| KeychainError::from_store(e, account))
    }
}
