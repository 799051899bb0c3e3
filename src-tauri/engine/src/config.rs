//! Start-up configuration of the engine: where it keeps its data and what it signs in to by default.
//!
//! This is not the managed policy (that is `policy`); it is what the launcher passes, e.g. the lab profile.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::media::ice_server::{IceServerEntry, TransportPolicy};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// Running against the local lab (shown as a "Lab" badge; emergency numbers reach the lab's dispatcher).
    #[serde(default)]
    pub lab: bool,
    pub server: Option<String>,
    pub domain: Option<String>,
    pub user: Option<String>,
    /// Only for the lab profile: real deployments keep the password in the OS keychain.
    pub password: Option<String>,
    /// UI and agreement language, e.g. "en", "fr-CA". Defaults to the system's.
    pub locale: Option<String>,
    /// The agent's name as people should read it in emergency notifications. Defaults to the OS
    /// account's full name (on Linux the passwd GECOS field).
    pub display_name: Option<String>,
    /// Audio codecs to offer and accept, most preferred first ("opus", "pcmu", "pcma"). Default: all
    /// three, Opus first. Emergency calls always add G.711.
    #[serde(default)]
    pub codecs: Vec<crate::media::Codec>,
    /// STUN/TURN servers for call audio (RTCIceServer shape, see `media.ice_servers`); the managed policy's
    /// list replaces this one when set.
    #[serde(default)]
    pub ice_servers: Vec<IceServerEntry>,
    /// `all` (default) or `relay`; `media.ice_transport_policy` wins when set.
    #[serde(default)]
    pub ice_transport_policy: Option<TransportPolicy>,
    #[serde(skip)]
    pub data_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("no data directory could be found for this user; pass --data-dir")]
    NoDataDir,
    /// `"lab": true` in a release build: lab mode (the lab's certificate, test hooks) exists only in lab
    /// and debug builds.
    #[error("the configuration file {path} asks for lab mode, which this build of Lifeline does not have; remove \"lab\" from it")]
    LabUnavailable { path: PathBuf },
}

impl EngineConfig {
    pub fn load(path: &Path) -> Result<EngineConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let cfg: EngineConfig =
            serde_json::from_str(&text).map_err(|source| ConfigError::Parse {
                path: path.to_owned(),
                source,
            })?;
        if cfg.lab && !crate::lab::AVAILABLE {
            return Err(ConfigError::LabUnavailable {
                path: path.to_owned(),
            });
        }
        Ok(cfg)
    }

    /// The locale to use: the configured one, else the system's (`LC_ALL`, `LC_MESSAGES`, `LANG`), else "en".
    pub fn effective_locale(&self) -> String {
        if let Some(l) = &self.locale {
            return l.clone();
        }
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.is_empty() && v != "C" && v != "POSIX")
            .unwrap_or_else(|| "en".to_owned())
    }
}

/// The per-user data directory (`~/.local/share/lifeline` on Linux and the platform equivalents).
pub fn default_data_dir() -> Result<PathBuf, ConfigError> {
    directories::ProjectDirs::from("app", "Lifeline", "Lifeline")
        .map(|d| d.data_dir().to_owned())
        .ok_or(ConfigError::NoDataDir)
}

/// The full name of OS user `user` from a passwd file's text (the GECOS field's first part), if set.
pub fn gecos_name(passwd: &str, user: &str) -> Option<String> {
    passwd
        .lines()
        .find_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            (f.len() >= 5 && f[0] == user)
                .then(|| f[4].split(',').next().unwrap_or("").trim().to_owned())
        })
        .filter(|n| !n.is_empty())
}

/// The OS account's full name, where the platform has one we can read without asking anyone.
pub fn os_display_name(user: &str) -> Option<String> {
    if cfg!(unix) {
        std::fs::read_to_string("/etc/passwd")
            .ok()
            .and_then(|p| gecos_name(&p, user))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::gecos_name;

    #[test]
    fn the_full_name_is_the_first_gecos_field() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nann:x:1000:1000:Ann Smith,Room 301,,:/home/ann:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n";
        assert_eq!(gecos_name(passwd, "ann").as_deref(), Some("Ann Smith"));
        assert_eq!(gecos_name(passwd, "bob"), None);
        assert_eq!(gecos_name(passwd, "eve"), None);
    }
}
