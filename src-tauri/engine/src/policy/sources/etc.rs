//! Linux (and other Unix): `/etc/lifeline/policy.json` plus `/etc/lifeline/policy.d/*.json`, merged in file
//! name order, so configuration management can drop in one file per concern (`10-sip.json`,
//! `50-emergency.json`) and a later file overrides an earlier one key by key.

use std::path::{Path, PathBuf};

use crate::policy::check::{parse_json, PolicyError};
use crate::policy::effective::SourceDoc;

pub const ETC_DIR: &str = "/etc/lifeline";

/// Reads the policy files under `root` (normally [`ETC_DIR`]) in precedence order. A missing file or
/// directory is simply no policy; a file that cannot be read or parsed is returned as an error document.
pub fn read_policy_dir(root: &Path) -> Vec<SourceDoc> {
    let mut paths: Vec<PathBuf> = Vec::new();
    let main = root.join("policy.json");
    if main.is_file() {
        paths.push(main);
    }
    if let Ok(entries) = std::fs::read_dir(root.join("policy.d")) {
        let mut drop_ins: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
            .collect();
        drop_ins.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        paths.extend(drop_ins);
    }
    paths.into_iter().map(|p| read_one(&p)).collect()
}

fn read_one(path: &Path) -> SourceDoc {
    let source = path.display().to_string();
    let doc = match std::fs::read_to_string(path) {
        Ok(text) => parse_json(&text, &source),
        Err(e) => Err(PolicyError::Unreadable {
            source_name: source.clone(),
            message: e.to_string(),
        }),
    };
    SourceDoc { source, doc }
}
