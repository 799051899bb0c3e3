//! The remembered account: server, domain and user in `account.json` in the data directory, the password
//! in the OS keychain (never in a file). At start, a remembered account signs in by itself, so the line is
//! ready for an emergency call without anyone typing. Keychain calls block (D-Bus, an unlock prompt), so
//! they are [`Work`] for the driver and come back as inputs.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Core, Output, Work};
use crate::api::{ErrorCode, Event};
use crate::secrets::sip_account;

const ACCOUNT_FILE: &str = "account.json";

/// The non-secret half of a remembered account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedAccount {
    pub server: String,
    pub domain: String,
    pub user: String,
}

fn account_path(data_dir: &Path) -> PathBuf {
    data_dir.join(ACCOUNT_FILE)
}

pub fn load_account(data_dir: &Path) -> Option<RememberedAccount> {
    let text = std::fs::read_to_string(account_path(data_dir)).ok()?;
    match serde_json::from_str(&text) {
        Ok(a) => Some(a),
        Err(e) => {
            tracing::warn!("the remembered account file is not valid and is ignored: {e}");
            None
        }
    }
}

fn save_account(data_dir: &Path, a: &RememberedAccount) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(a).map_err(std::io::Error::other)?;
    let path = account_path(data_dir);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path)
}

impl Core {
    /// Fills the sign-in defaults from the remembered account and, if its password is in the keychain,
    /// signs in by itself (the answer comes back as [`super::Input::Remembered`]).
    pub(super) fn resume_remembered_account(&mut self) {
        let Some(account) = load_account(&self.cfg.data_dir) else {
            return;
        };
        self.cfg
            .server
            .get_or_insert_with(|| account.server.clone());
        self.cfg
            .domain
            .get_or_insert_with(|| account.domain.clone());
        self.cfg.user.get_or_insert_with(|| account.user.clone());
        self.look_up_password(account, false);
    }

    /// Asks the keychain (off the core) for the account's password; the answer comes back as
    /// [`super::Input::Remembered`]. `required`: no stored password is an error to show (the agent asked).
    pub(super) fn look_up_password(&mut self, account: RememberedAccount, required: bool) {
        self.push(Output::Work(Work::LookUpPassword { account, required }));
    }

    /// The keychain answered for the remembered account.
    pub(super) fn on_remembered(
        &mut self,
        account: RememberedAccount,
        result: Result<Option<String>, String>,
    ) -> Vec<Event> {
        match result {
            Ok(Some(password)) if self.sip_session.is_none() => {
                tracing::info!("signing in with the remembered account");
                self.start_sign_in(account.server, account.domain, account.user, password);
                vec![]
            }
            Ok(_) => vec![],
            Err(e) => vec![Event::error(
                ErrorCode::Keychain,
                format!("The remembered password could not be read: {e}"),
                &[("detail", e)],
            )],
        }
    }

    /// `sign_in` with `remember`: the account file now, the password into the keychain in the background.
    pub(super) fn remember(
        &mut self,
        server: &str,
        domain: &str,
        user: &str,
        password: &str,
    ) -> Vec<Event> {
        let account = RememberedAccount {
            server: server.to_owned(),
            domain: domain.to_owned(),
            user: user.to_owned(),
        };
        if let Err(e) = save_account(&self.cfg.data_dir, &account) {
            return vec![Event::error(
                ErrorCode::AccountNotRemembered,
                format!("The account could not be remembered: {e}"),
                &[("detail", e.to_string())],
            )];
        }
        self.push(Output::Work(Work::SavePassword {
            key: sip_account(user, domain),
            secret: password.to_owned(),
        }));
        vec![]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_file_round_trips_and_never_holds_the_password() {
        let dir = tempfile::tempdir().expect("tmp");
        let a = RememberedAccount {
            server: "wss://x:443".into(),
            domain: "x.org".into(),
            user: "ann".into(),
        };
        save_account(dir.path(), &a).expect("save");
        assert_eq!(load_account(dir.path()), Some(a));
        let text = std::fs::read_to_string(dir.path().join(ACCOUNT_FILE)).expect("read");
        assert!(!text.contains("password"));
    }

    #[test]
    fn a_broken_account_file_is_ignored() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join(ACCOUNT_FILE), "{nope").expect("write");
        assert_eq!(load_account(dir.path()), None);
    }
}
