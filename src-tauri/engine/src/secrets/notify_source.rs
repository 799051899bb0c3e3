//! The keychain as the notify module's [`SecretSource`]: `notify.smtp.password_ref` names an entry.

use crate::notify::{SecretError, SecretSource};

use super::Keychain;

impl SecretSource for Keychain {
    fn secret(&self, reference: &str) -> Result<String, SecretError> {
        match self.load(reference) {
            Ok(Some(secret)) => Ok(secret),
            Ok(None) => Err(SecretError::NotFound(reference.to_owned())),
            Err(e) => Err(SecretError::Unavailable(e.to_string())),
        }
    }
}
