//! Where log lines go: stderr and a rotated file in the OS log directory, every line passed through the
//! [`Redactor`] first. The engine logs with `tracing`; with tracing's `log` feature and no tracing
//! subscriber installed, its events arrive here as `log` records.
//!
//! Log directory: Linux `~/.local/share/app.lifeline.softphone/logs/lifeline.log`, macOS
//! `~/Library/Logs/app.lifeline.softphone/`, Windows `%LOCALAPPDATA%\app.lifeline.softphone\logs\`.

use std::sync::Arc;

use log::LevelFilter;
use tauri::plugin::TauriPlugin;
use tauri::Runtime;
use tauri_plugin_log::{RotationStrategy, Target, TargetKind, TimezoneStrategy};

use lifeline_engine::redact::{third_party_allowed, Redactor};

/// Rotate at 5 MB, keep five old files: a few days of a busy agent's logs, bounded on disk.
const MAX_FILE_BYTES: u128 = 5_000_000;
const KEEP_FILES: usize = 5;

/// The level for everything, and per-target overrides, from a `LIFELINE_LOG`-style spec:
/// `info`, or `warn,lifeline_engine=debug`. Unknown parts are ignored (a typo must not stop the app).
pub fn parse_spec(spec: &str) -> (LevelFilter, Vec<(String, LevelFilter)>) {
    let mut level = LevelFilter::Info;
    let mut per_target = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some((target, lvl)) => {
                if let Ok(l) = lvl.trim().parse() {
                    per_target.push((target.trim().to_owned(), l));
                }
            }
            None => {
                if let Ok(l) = part.parse() {
                    level = l;
                }
            }
        }
    }
    (level, per_target)
}

pub fn plugin<R: Runtime>(redactor: Redactor, spec: &str) -> TauriPlugin<R> {
    let (level, per_target) = parse_spec(spec);
    let redactor = Arc::new(redactor);
    let mut builder = tauri_plugin_log::Builder::new()
        .clear_targets()
        .target(Target::new(TargetKind::Stderr))
        .target(Target::new(TargetKind::LogDir {
            file_name: Some("lifeline".into()),
        }))
        .max_file_size(MAX_FILE_BYTES)
        .rotation_strategy(RotationStrategy::KeepSome(KEEP_FILES))
        .timezone_strategy(TimezoneStrategy::UseUtc)
        .level(level)
        .filter(|m| third_party_allowed(m.target(), m.level() > log::Level::Info))
        .format(move |out, message, record| {
            let now = time::OffsetDateTime::now_utc();
            let stamp = now
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            let text = message.to_string();
            out.finish(format_args!(
                "{stamp} {level} {target}: {text}",
                level = record.level(),
                target = record.target(),
                text = redactor.redact(&text)
            ))
        });
    for (target, lvl) in per_target {
        builder = builder.level_for(target, lvl);
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_level_sets_everything() {
        assert_eq!(parse_spec("debug"), (LevelFilter::Debug, vec![]));
        assert_eq!(parse_spec(""), (LevelFilter::Info, vec![]));
    }

    #[test]
    fn per_target_levels_are_kept_and_typos_ignored() {
        let (level, targets) =
            parse_spec("warn, lifeline_engine=debug ,zbus=off,bogus=loud,nonsense");
        assert_eq!(level, LevelFilter::Warn);
        assert_eq!(
            targets,
            vec![
                ("lifeline_engine".into(), LevelFilter::Debug),
                ("zbus".into(), LevelFilter::Off)
            ]
        );
    }
}
