//! A start that cannot go on, told where the person starting Lifeline will see it.
//!
//! A Windows release build has no console (`windows_subsystem = "windows"`): what it writes to stderr reaches
//! nobody, and the agent would only see that nothing opened. So on Windows the sentence is shown in a message
//! box (the first thing IT asks for is that sentence); on every platform it also goes to stderr and to the log
//! file the app writes when it runs (`logging`), since these failures come before the logging plugin starts.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;

use lifeline_engine::redact::Redactor;

/// The app's identifier, `identifier` in tauri.conf.json (checked by a test): its log directory is named
/// after it.
const IDENTIFIER: &str = "app.lifeline.softphone";

/// Tells the agent why Lifeline stopped: stderr, the log file, and on Windows a message box (which waits for
/// OK).
pub fn report(message: &str) {
    eprintln!("lifeline: {message}");
    append_to_log(message);
    #[cfg(windows)]
    message_box(&format!("Lifeline cannot start: {message}"));
}

/// The log file `logging` writes (tauri's log directory): Windows `%LOCALAPPDATA%\<id>\logs`, macOS
/// `~/Library/Logs/<id>`, elsewhere `$XDG_DATA_HOME/<id>/logs` (else `~/.local/share/<id>/logs`).
fn log_file(os: &str, var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let var = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = match os {
        "windows" => var("LOCALAPPDATA")?.join(IDENTIFIER).join("logs"),
        "macos" => var("HOME")?.join("Library/Logs").join(IDENTIFIER),
        _ => var("XDG_DATA_HOME")
            .or_else(|| var("HOME").map(|h| h.join(".local/share")))?
            .join(IDENTIFIER)
            .join("logs"),
    };
    Some(dir.join("lifeline.log"))
}

/// One line in the log's own format, redacted like every other line. Best effort: a log that cannot be
/// written must not hide the message box.
fn append_to_log(message: &str) {
    let Some(path) = log_file(std::env::consts::OS, |name| std::env::var_os(name)) else {
        return;
    };
    let text = match Redactor::with_builtin_numbers() {
        Ok(r) => r.redact(message).into_owned(),
        Err(_) => "(the reason could not be redacted, so it is not logged)".to_owned(),
    };
    let stamp = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let line = format!("{stamp} ERROR {}: {text}\n", module_path!());
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?
                .write_all(line.as_bytes())
        });
    if let Err(e) = written {
        eprintln!("lifeline: could not write {}: {e}", path.display());
    }
}

#[cfg(windows)]
fn message_box(text: &str) {
    use windows_sys::Win32::UI::WindowsAndMessaging::{
        MessageBoxW, MB_ICONERROR, MB_OK, MB_SETFOREGROUND,
    };
    let wide = |s: &str| s.encode_utf16().chain([0]).collect::<Vec<u16>>();
    let (text, title) = (wide(text), wide("Lifeline"));
    // SAFETY: both are NUL-terminated UTF-16 strings that outlive the call; no owner window (null).
    unsafe {
        MessageBoxW(
            std::ptr::null_mut(),
            text.as_ptr(),
            title.as_ptr(),
            MB_OK | MB_ICONERROR | MB_SETFOREGROUND,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_log_file_is_where_the_logging_plugin_writes_it() {
        let win = log_file(
            "windows",
            env(&[("LOCALAPPDATA", r"C:\Users\a\AppData\Local")]),
        )
        .unwrap();
        assert!(
            win.ends_with("app.lifeline.softphone/logs/lifeline.log"),
            "{win:?}"
        );
        assert!(win.starts_with(r"C:\Users\a\AppData\Local"));
        let mac = log_file("macos", env(&[("HOME", "/Users/a")])).unwrap();
        assert_eq!(
            mac,
            PathBuf::from("/Users/a/Library/Logs/app.lifeline.softphone/lifeline.log")
        );
        let linux = log_file("linux", env(&[("HOME", "/home/a")])).unwrap();
        assert_eq!(
            linux,
            PathBuf::from("/home/a/.local/share/app.lifeline.softphone/logs/lifeline.log")
        );
        let xdg = log_file(
            "linux",
            env(&[("HOME", "/home/a"), ("XDG_DATA_HOME", "/d")]),
        )
        .unwrap();
        assert_eq!(
            xdg,
            PathBuf::from("/d/app.lifeline.softphone/logs/lifeline.log")
        );
    }

    #[test]
    fn without_a_home_there_is_no_log_file() {
        assert_eq!(log_file("windows", env(&[("HOME", "/home/a")])), None);
        assert_eq!(log_file("linux", env(&[("HOME", "")])), None);
    }

    #[test]
    fn the_identifier_is_the_apps() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).expect("tauri.conf.json");
        assert_eq!(conf["identifier"], IDENTIFIER);
    }
}
