//! The one keyring-core store of each operating system.

use std::sync::Arc;

use keyring_core::CredentialStore;

use super::KeychainError;

/// Linux: the Secret Service on the session bus (gnome-keyring, KWallet), over libdbus, with the
/// transfer encrypted (Diffie-Hellman session, pure-Rust crypto).
#[cfg(target_os = "linux")]
pub(super) fn default_store() -> Result<Arc<CredentialStore>, KeychainError> {
    let store: Arc<CredentialStore> =
        dbus_secret_service_keyring_store::Store::new().map_err(KeychainError::from_open)?;
    Ok(store)
}

/// macOS: the user's login keychain (the data-protection keychain needs a signed app with entitlements).
#[cfg(target_os = "macos")]
pub(super) fn default_store() -> Result<Arc<CredentialStore>, KeychainError> {
    let store: Arc<CredentialStore> =
        apple_native_keyring_store::keychain::Store::new().map_err(KeychainError::from_open)?;
    Ok(store)
}

/// Windows: the Credential Manager (generic credentials).
#[cfg(windows)]
pub(super) fn default_store() -> Result<Arc<CredentialStore>, KeychainError> {
    let store: Arc<CredentialStore> =
        windows_native_keyring_store::Store::new().map_err(KeychainError::from_open)?;
    Ok(store)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
pub(super) fn default_store() -> Result<Arc<CredentialStore>, KeychainError> {
    Err(KeychainError::Unsupported {
        os: std::env::consts::OS,
    })
}
