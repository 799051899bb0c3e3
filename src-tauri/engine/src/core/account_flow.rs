//! The remembered account: server, domain and user in `account.json` in the data directory (read and
//! written by the driver, [`crate::account_file`]), the password in the OS keychain (never in a file). At
//! start, a remembered account signs in by itself, so the line is ready for an emergency call without
//! anyone typing. The file and the keychain block (disk, D-Bus, an unlock prompt), so they are [`Work`] for
//! the driver and come back as inputs.

use super::{Core, Output, Work};
use crate::account_file::RememberedAccount;
use crate::api::{ErrorCode, Event};
use crate::secrets::sip_account;

impl Core {
    /// Fills the sign-in defaults from the remembered account and, if its password is in the keychain,
    /// signs in by itself (the answer comes back as [`super::Input::Remembered`]).
    pub(super) fn resume_remembered_account(&mut self, account: Option<RememberedAccount>) {
        let Some(account) = account else {
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

    /// `sign_in` with `remember`: the account file first, then (once it is written, see
    /// [`Core::on_account_saved`]) the password into the keychain, both off the core.
    pub(super) fn remember(&mut self, server: &str, domain: &str, user: &str, password: &str) {
        let account = RememberedAccount {
            server: server.to_owned(),
            domain: domain.to_owned(),
            user: user.to_owned(),
        };
        self.push(Output::Work(Work::SaveAccount {
            data_dir: self.cfg.data_dir.clone(),
            account,
            password: password.to_owned(),
        }));
    }

    /// The account file was (or could not be) written; the password follows it into the keychain.
    pub(super) fn on_account_saved(
        &mut self,
        account: RememberedAccount,
        password: String,
        result: Result<(), String>,
    ) -> Vec<Event> {
        if let Err(e) = result {
            return vec![Event::error(
                ErrorCode::AccountNotRemembered,
                format!("The account could not be remembered: {e}"),
                &[("detail", e)],
            )];
        }
        self.push(Output::Work(Work::SavePassword {
            key: sip_account(&account.user, &account.domain),
            secret: password,
        }));
        vec![]
    }
}
