//! The remembered account's file: server, domain and user in `account.json` in the data directory (the
//! password is in the OS keychain, never in a file). Only the core's driver calls these: the core asks
//! for the file to be written and is told what was read at start.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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

/// The remembered account, if the file is there and readable (a broken file is ignored, with a warning).
pub fn load(data_dir: &Path) -> Option<RememberedAccount> {
    let text = std::fs::read_to_string(account_path(data_dir)).ok()?;
    match serde_json::from_str(&text) {
        Ok(a) => Some(a),
        Err(e) => {
            tracing::warn!("the remembered account file is not valid and is ignored: {e}");
            None
        }
    }
}

/// Writes the file whole or not at all (a temporary file renamed over it).
pub fn save(data_dir: &Path, a: &RememberedAccount) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(a).map_err(std::io::Error::other)?;
    let path = account_path(data_dir);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path)
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
        save(dir.path(), &a).expect("save");
        assert_eq!(load(dir.path()), Some(a));
        let text = std::fs::read_to_string(dir.path().join(ACCOUNT_FILE)).expect("read");
        assert!(!text.contains("password"));
    }

    #[test]
    fn a_broken_account_file_is_ignored() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join(ACCOUNT_FILE), "{nope").expect("write");
        assert_eq!(load(dir.path()), None);
    }
}
