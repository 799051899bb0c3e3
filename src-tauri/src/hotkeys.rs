//! System-wide shortcuts (they work while the CRM has focus): answer, hang up, mute, and the number field.
//!
//! Defaults are Ctrl+Shift+F9 … F12. Not Ctrl+Alt+letter: on Windows Ctrl+Alt is AltGr, which types
//! characters on most European layouts (Polish ą ę, German @ €, French €), so a global grab of it would
//! swallow them in every application; Linux desktops also take Ctrl+Alt+D/T/arrows. Browsers and the
//! contact centers' web CRMs (Salesforce, Zendesk, Dynamics, ServiceNow) bind letters, Enter and F5/F11/F12
//! alone or with Ctrl; Ctrl+Shift with F9–F12 is left to the applications that ask for it. Policy
//! `hotkeys.*` sets others or turns one off.
//!
//! The pure part ([`bindings`], [`command_for`], [`muted_after`]) is tested here; [`register`] binds them
//! through tauri-plugin-global-shortcut.

use lifeline_engine::api::{CallState, Command, Event};
use lifeline_engine::policy::model::HotkeysPolicy;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_global_shortcut::{GlobalShortcutExt as _, Shortcut, ShortcutState};
use tokio::sync::{mpsc, watch};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HotkeyAction {
    Answer,
    Hangup,
    Mute,
    FocusDial,
}

const DEFAULTS: [(HotkeyAction, &str, &str); 4] = [
    (HotkeyAction::Answer, "answer", "Ctrl+Shift+F9"),
    (HotkeyAction::Hangup, "hangup", "Ctrl+Shift+F10"),
    (HotkeyAction::Mute, "mute", "Ctrl+Shift+F11"),
    (HotkeyAction::FocusDial, "focus_dial", "Ctrl+Shift+F12"),
];

fn configured(policy: &HotkeysPolicy, action: HotkeyAction) -> Option<&str> {
    match action {
        HotkeyAction::Answer => policy.answer.as_deref(),
        HotkeyAction::Hangup => policy.hangup.as_deref(),
        HotkeyAction::Mute => policy.mute.as_deref(),
        HotkeyAction::FocusDial => policy.focus_dial.as_deref(),
    }
}

/// The shortcuts to register, and what was wrong with the policy's (a shortcut that cannot be read keeps
/// the default; the same shortcut twice keeps the first action).
pub fn bindings(policy: &HotkeysPolicy) -> (Vec<(HotkeyAction, Shortcut)>, Vec<String>) {
    let mut out: Vec<(HotkeyAction, Shortcut)> = Vec::new();
    let mut problems = Vec::new();
    for (action, key, default) in DEFAULTS {
        let text = configured(policy, action).unwrap_or(default).trim();
        if text.is_empty() {
            continue;
        }
        let shortcut = match text.parse::<Shortcut>() {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!(
                    "hotkeys.{key}: {text:?} is not a shortcut ({e}); {default} is used"
                ));
                match default.parse::<Shortcut>() {
                    Ok(s) => s,
                    Err(_) => continue,
                }
            }
        };
        if out.iter().any(|(_, s)| *s == shortcut) {
            problems.push(format!(
                "hotkeys.{key}: {text} is already used by another action; left out"
            ));
            continue;
        }
        out.push((action, shortcut));
    }
    (out, problems)
}

/// The engine command a hotkey sends (the number field is the window's, not the engine's).
pub fn command_for(action: HotkeyAction, muted: bool) -> Option<Command> {
    match action {
        HotkeyAction::Answer => Some(Command::Answer { call: None }),
        HotkeyAction::Hangup => Some(Command::Hangup { call: None }),
        HotkeyAction::Mute => Some(Command::Mute { on: !muted }),
        HotkeyAction::FocusDial => None,
    }
}

/// Whether the microphone is muted after `event` (the mute hotkey toggles it).
pub fn muted_after(event: &Event, muted: bool) -> bool {
    match event {
        Event::CallMuted { on, .. } => *on,
        Event::Call {
            state: CallState::Ended,
            ..
        } => false,
        _ => muted,
    }
}

/// Registers the hotkeys; the commands go to the engine. A shortcut another program holds is logged and
/// left out; the others still work.
pub fn register<R: Runtime>(
    app: &AppHandle<R>,
    policy: &HotkeysPolicy,
    commands: mpsc::Sender<Command>,
    muted: watch::Receiver<bool>,
) {
    let (bound, problems) = bindings(policy);
    for p in problems {
        log::warn!("{p}");
    }
    for (action, shortcut) in bound {
        let commands = commands.clone();
        let muted = muted.clone();
        let registered = app
            .global_shortcut()
            .on_shortcut(shortcut, move |app, _, event| {
                if event.state != ShortcutState::Pressed {
                    return;
                }
                log::info!("hotkey: {action:?}");
                if action == HotkeyAction::FocusDial {
                    focus_dial(app);
                }
                if let Some(cmd) = command_for(action, *muted.borrow()) {
                    if commands.try_send(cmd).is_err() {
                        log::warn!("a hotkey could not reach the engine");
                    }
                }
            });
        match registered {
            Ok(()) => log::info!("hotkey {action:?}: {shortcut}"),
            Err(e) => log::warn!("hotkey {action:?} ({shortcut}) not available: {e}"),
        }
    }
}

fn focus_dial<R: Runtime>(app: &AppHandle<R>) {
    crate::desk::raise_window(app, true, crate::call_alerts::Attention::Informational);
    if let Some(w) = app.get_webview_window("main") {
        if let Err(e) = w.eval("document.getElementById('number')?.focus()") {
            log::warn!("could not focus the number field: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Shortcut {
        s.parse().expect("a shortcut")
    }

    #[test]
    fn without_policy_the_defaults_are_ctrl_shift_f9_to_f12() {
        let (b, problems) = bindings(&HotkeysPolicy::default());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            b,
            vec![
                (HotkeyAction::Answer, parse("Ctrl+Shift+F9")),
                (HotkeyAction::Hangup, parse("Ctrl+Shift+F10")),
                (HotkeyAction::Mute, parse("Ctrl+Shift+F11")),
                (HotkeyAction::FocusDial, parse("Ctrl+Shift+F12")),
            ]
        );
    }

    #[test]
    fn no_default_is_ctrl_alt_which_is_altgr_on_european_keyboards() {
        let (b, _) = bindings(&HotkeysPolicy::default());
        for (_, s) in b {
            assert!(
                !s.mods
                    .contains(tauri_plugin_global_shortcut::Modifiers::ALT),
                "{s}"
            );
        }
    }

    #[test]
    fn policy_sets_turns_off_and_its_mistakes_keep_the_default() {
        let policy = HotkeysPolicy {
            answer: Some("Ctrl+Alt+Shift+A".into()),
            hangup: Some(String::new()),
            mute: Some("Ctrl+Banana".into()),
            focus_dial: Some("Ctrl+Alt+Shift+A".into()),
        };
        let (b, problems) = bindings(&policy);
        assert_eq!(
            b,
            vec![
                (HotkeyAction::Answer, parse("Ctrl+Alt+Shift+A")),
                (HotkeyAction::Mute, parse("Ctrl+Shift+F11")),
            ]
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("hotkeys.mute:"), "{problems:?}");
        assert!(problems[1].contains("already used"), "{problems:?}");
    }

    #[test]
    fn answer_hangup_and_mute_are_engine_commands_and_mute_toggles() {
        assert_eq!(
            command_for(HotkeyAction::Answer, false),
            Some(Command::Answer { call: None })
        );
        assert_eq!(
            command_for(HotkeyAction::Hangup, false),
            Some(Command::Hangup { call: None })
        );
        assert_eq!(
            command_for(HotkeyAction::Mute, false),
            Some(Command::Mute { on: true })
        );
        assert_eq!(
            command_for(HotkeyAction::Mute, true),
            Some(Command::Mute { on: false })
        );
        assert_eq!(command_for(HotkeyAction::FocusDial, false), None);
    }

    #[test]
    fn the_mute_state_follows_the_engine_and_ends_with_the_call() {
        let muted = muted_after(
            &Event::CallMuted {
                id: "c1".into(),
                on: true,
            },
            false,
        );
        assert!(muted);
        assert!(muted_after(
            &Event::DialRequest { number: "1".into() },
            muted
        ));
        let ended = crate::test_support::call_event(
            "c1",
            CallState::Ended,
            lifeline_engine::api::Direction::In,
            "sip:bob@x",
            false,
        );
        assert!(!muted_after(&ended, true));
    }
}
