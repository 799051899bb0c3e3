//! Where managed policy comes from on each platform. The parsing functions are pure and tested on every
//! platform; only the tiny readers that touch the registry are compiled per platform.

pub mod etc;
pub mod plist;
pub mod registry;

use std::path::Path;

use super::check::{parse_json, PolicyError};
use super::effective::{load_effective, EffectivePolicy, SourceDoc};

/// The managed policy documents of this machine, in precedence order (later wins).
///
/// - Linux and other Unix: `/etc/lifeline/policy.json` then `/etc/lifeline/policy.d/*.json` by name
///   (in lab and debug builds only, `LIFELINE_POLICY_DIR` replaces `/etc/lifeline` for tests: in a release
///   build an agent must not be able to swap IT's policy for their own).
/// - macOS: the forced managed preferences of `app.lifeline.softphone`, machine-wide then the user's.
/// - Windows: `HKLM\SOFTWARE\Policies\Lifeline`.
pub fn read_managed_policy() -> Vec<SourceDoc> {
    #[cfg(windows)]
    {
        registry::read_machine_policy()
    }
    #[cfg(target_os = "macos")]
    {
        let user = std::env::var("USER").ok();
        plist::read_managed_preferences(
            std::path::Path::new(plist::MANAGED_PREFERENCES_DIR),
            user.as_deref(),
        )
    }
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        etc::read_policy_dir(&policy_root())
    }
    #[cfg(not(any(windows, unix)))]
    {
        Vec::new()
    }
}

/// Where the Linux policy files are: `/etc/lifeline`, or `LIFELINE_POLICY_DIR` in a lab/debug build.
#[cfg(all(unix, not(target_os = "macos")))]
fn policy_root() -> std::path::PathBuf {
    #[cfg(any(feature = "lab", debug_assertions))]
    if let Some(dir) = std::env::var_os("LIFELINE_POLICY_DIR") {
        return dir.into();
    }
    std::path::PathBuf::from(etc::ETC_DIR)
}

/// What the engine starts with: this machine's managed policy, then `extra_policy` (the headless binary's
/// `--policy FILE`, applied on top), over the user's settings file. Never fails: problems are warnings.
pub fn load_startup(extra_policy: Option<&Path>, user_settings: Option<&Path>) -> EffectivePolicy {
    let mut managed = read_managed_policy();
    managed.extend(extra_policy.map(read_doc));
    // A user who never saved settings has no file: that is not a problem worth a banner.
    let user = user_settings.filter(|p| p.exists()).map(read_doc);
    load_effective(&managed, user.as_ref())
}

/// Reads one policy document: `.plist` as managed preferences, `.mobileconfig` as a configuration profile
/// (its Lifeline payload), anything else as JSON.
pub fn read_doc(path: &Path) -> SourceDoc {
    let source = path.display().to_string();
    let doc = match std::fs::read(path) {
        Err(e) => Err(PolicyError::Unreadable {
            source_name: source.clone(),
            message: e.to_string(),
        }),
        Ok(bytes) => match path
            .extension()
            .and_then(|x| x.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("plist") => plist::plist_to_json(&bytes, &source),
            Some("mobileconfig") => plist::mobileconfig_payload(&bytes, &source),
            _ => match String::from_utf8(bytes) {
                Ok(text) => parse_json(&text, &source),
                Err(_) => Err(PolicyError::Unreadable {
                    source_name: source.clone(),
                    message: "not UTF-8 text".into(),
                }),
            },
        },
    };
    SourceDoc { source, doc }
}
