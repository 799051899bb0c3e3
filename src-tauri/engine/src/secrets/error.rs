//! What can go wrong with the keychain, in words the agent (or IT) can act on.

/// Why a keychain operation failed. The text is shown to the user as is; it names the entry (an account
/// such as `sip:agent@example.com`, or a `password_ref`) and never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeychainError {
    /// No keychain service answered (on Linux: no D-Bus session, or no Secret Service on it).
    #[error(
        "no keychain service is running ({detail}); passwords cannot be remembered: sign in with the password \
         each time, or start the desktop's keyring (on Linux a Secret Service such as gnome-keyring)"
    )]
    NoService { detail: String },
    /// This operating system has no keychain Lifeline knows how to use.
    #[error("this system ({os}) has no keychain Lifeline can use; passwords cannot be remembered")]
    Unsupported { os: &'static str },
    /// The keychain is there but locked, or the user dismissed the unlock prompt.
    #[error(
        "the keychain is locked or refused access to {account} ({detail}); unlock it and try again"
    )]
    Locked { account: String, detail: String },
    /// The entry holds bytes that are not text (written by another program).
    #[error("the keychain entry {account} does not hold text; delete it in the keychain manager and save the password again")]
    NotText { account: String },
    /// More than one entry matches (e.g. created by another tool with extra attributes).
    #[error(
        "{count} keychain entries match {account}; remove the duplicates in the keychain manager"
    )]
    Ambiguous { account: String, count: usize },
    /// The store refused the entry's name or the secret (too long, bad characters, no name).
    #[error("the keychain refused the entry {account}: {reason}")]
    Rejected { account: String, reason: String },
    /// An empty password is never stored.
    #[error("an empty password is not saved in the keychain (entry {account})")]
    EmptySecret { account: String },
    /// Any other failure of the platform's keychain.
    #[error("the keychain failed on {account} ({detail}); try again, or sign in without remembering the password")]
    Failed { account: String, detail: String },
}

impl KeychainError {
    /// Maps a keyring-core error met while handling `account`. The secret bytes some variants carry
    /// (`BadEncoding`, `BadDataFormat`) are dropped here, so they cannot reach a log or the UI.
    pub(crate) fn from_store(err: keyring_core::Error, account: &str) -> KeychainError {
        use keyring_core::Error as E;
        let account = account.to_owned();
        match err {
            E::NoStorageAccess(e) => KeychainError::Locked {
                account,
                detail: e.to_string(),
            },
            E::BadEncoding(_) | E::BadDataFormat(_, _) => KeychainError::NotText { account },
            E::Ambiguous(entries) => KeychainError::Ambiguous {
                account,
                count: entries.len(),
            },
            E::TooLong(what, limit) => KeychainError::Rejected {
                account,
                reason: format!("{what} is longer than {limit} characters"),
            },
            E::Invalid(what, why) => KeychainError::Rejected {
                account,
                reason: format!("{what} {why}"),
            },
            E::NoDefaultStore => KeychainError::NoService {
                detail: "no store was opened".to_owned(),
            },
            E::NotSupportedByStore(why) => KeychainError::Failed {
                account,
                detail: format!("not supported: {why}"),
            },
            E::BadStoreFormat(why) => KeychainError::Failed {
                account,
                detail: format!("store data is malformed: {why}"),
            },
            E::PlatformFailure(e) => KeychainError::Failed {
                account,
                detail: e.to_string(),
            },
            // NoEntry is handled by the callers (it means "absent"); anything newer is a plain failure.
            other => KeychainError::Failed {
                account,
                detail: other.to_string(),
            },
        }
    }

    /// Maps the error of opening the platform's store: whatever it is, there is no usable keychain.
    pub(crate) fn from_open(err: keyring_core::Error) -> KeychainError {
        let detail = match err {
            keyring_core::Error::PlatformFailure(e) | keyring_core::Error::NoStorageAccess(e) => {
                e.to_string()
            }
            other => other.to_string(),
        };
        KeychainError::NoService { detail }
    }
}
