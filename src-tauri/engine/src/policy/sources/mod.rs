//! Where managed policy comes from on each platform. The parsing functions are pure and tested on every
//! platform; only the tiny readers that touch the registry are compiled per platform.

pub mod etc;
pub mod plist;
pub mod registry;

use super::effective::SourceDoc;

/// The managed policy documents of this machine, in precedence order (later wins).
///
/// - Linux and other Unix: `/etc/lifeline/policy.json` then `/etc/lifeline/policy.d/*.json` by name
///   (`LIFELINE_POLICY_DIR` replaces `/etc/lifeline`, for tests and unusual layouts).
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
        plist::read_managed_preferences(std::path::Path::new(plist::MANAGED_PREFERENCES_DIR), user.as_deref())
    }
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let root = std::env::var_os("LIFELINE_POLICY_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from(etc::ETC_DIR));
        etc::read_policy_dir(&root)
    }
}
