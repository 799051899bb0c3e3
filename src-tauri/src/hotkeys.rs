//! System-wide shortcuts (they work while the CRM has focus): answer, hang up, mute, and the number field.
//!
//! Defaults are Ctrl+Shift+F9 … F12. Not Ctrl+Alt+letter: on Windows Ctrl+Alt is AltGr, which types
//! characters on most European layouts (Polish ą ę, German @ €, French €), so a global grab of it would
//! swallow them in every application; Linux desktops also take Ctrl+Alt+D/T/arrows. Browsers and the
//! contact centers' web CRMs (Salesforce, Zendesk, Dynamics, ServiceNow) bind letters, Enter and F5/F11/F12
//! alone or with Ctrl; Ctrl+Shift with F9–F12 is left to the applications that ask for it. Policy
//! `hotkeys.*` sets others or turns one off.
//!
//! The agent changes them in Settings ([`Command::SetHotkey`]); the choices are kept in `hotkeys.json` in the
//! data folder. A hotkey the policy sets wins and is shown locked.
//!
//! The pure part ([`resolve`], [`change`], [`command_for`], [`muted_after`]) is tested here; [`Hotkeys`]
//! owns the registrations with tauri-plugin-global-shortcut and re-registers them on each change.

use std::collections::BTreeMap;
use std::path::PathBuf;

use lifeline_engine::api::{
    CallState, Command, Event, HotkeyAction, HotkeyProblem, HotkeyRefusal, HotkeyStatus,
};
use lifeline_engine::policy::model::HotkeysPolicy;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_global_shortcut::{GlobalShortcutExt as _, Shortcut, ShortcutState};
use tokio::sync::{mpsc, watch};

const DEFAULTS: [(HotkeyAction, &str, &str); 4] = [
    (HotkeyAction::Answer, "answer", "Ctrl+Shift+F9"),
    (HotkeyAction::Hangup, "hangup", "Ctrl+Shift+F10"),
    (HotkeyAction::Mute, "mute", "Ctrl+Shift+F11"),
    (HotkeyAction::FocusDial, "focus_dial", "Ctrl+Shift+F12"),
];

/// The agent's own combinations (from Settings), by action; "" is off.
pub type Choices = BTreeMap<HotkeyAction, String>;

fn configured(policy: &HotkeysPolicy, action: HotkeyAction) -> Option<&str> {
    match action {
        HotkeyAction::Answer => policy.answer.as_deref(),
        HotkeyAction::Hangup => policy.hangup.as_deref(),
        HotkeyAction::Mute => policy.mute.as_deref(),
        HotkeyAction::FocusDial => policy.focus_dial.as_deref(),
    }
}

/// One hotkey as it stands: what it shows, the shortcut to register (none when off or unusable) and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub action: HotkeyAction,
    pub keys: String,
    pub default_keys: &'static str,
    pub managed: bool,
    pub shortcut: Option<Shortcut>,
    pub problem: Option<HotkeyProblem>,
}

impl Slot {
    pub fn status(&self) -> HotkeyStatus {
        HotkeyStatus {
            action: self.action,
            keys: self.keys.clone(),
            default_keys: self.default_keys.to_owned(),
            managed: self.managed,
            problem: self.problem.clone(),
        }
    }
}

/// The hotkeys from the policy (it wins), the agent's choices and the defaults, with what was wrong for the
/// log. A combination that cannot be read keeps the default; one that another action has already is left
/// out (the policy's come first, then the order of [`DEFAULTS`]).
pub fn resolve(policy: &HotkeysPolicy, choices: &Choices) -> (Vec<Slot>, Vec<String>) {
    let mut problems = Vec::new();
    let mut slots: Vec<Slot> = DEFAULTS
        .iter()
        .map(|&(action, key, default)| {
            let (text, managed) = match (configured(policy, action), choices.get(&action)) {
                (Some(p), _) => (p, true),
                (None, Some(c)) => (c.as_str(), false),
                (None, None) => (default, false),
            };
            let text = text.trim();
            let mut slot = Slot {
                action,
                keys: text.to_owned(),
                default_keys: default,
                managed,
                shortcut: None,
                problem: None,
            };
            if text.is_empty() {
                return slot;
            }
            match text.parse::<Shortcut>() {
                Ok(s) => slot.shortcut = Some(s),
                Err(e) => {
                    let whose = if managed {
                        "hotkeys"
                    } else {
                        "the agent's hotkey"
                    };
                    problems.push(format!(
                        "{whose}.{key}: {text:?} is not a shortcut ({e}); {default} is used"
                    ));
                    slot.keys = default.to_owned();
                    slot.shortcut = default.parse::<Shortcut>().ok();
                }
            }
            slot
        })
        .collect();
    let order: Vec<usize> = (0..slots.len())
        .filter(|&i| slots[i].managed)
        .chain((0..slots.len()).filter(|&i| !slots[i].managed))
        .collect();
    let mut taken: Vec<(HotkeyAction, Shortcut)> = Vec::new();
    for i in order {
        let Some(shortcut) = slots[i].shortcut else {
            continue;
        };
        if let Some(&(with, _)) = taken.iter().find(|(_, s)| *s == shortcut) {
            problems.push(format!(
                "hotkey {:?}: {} is already used by {with:?}; left out",
                slots[i].action, slots[i].keys
            ));
            slots[i].shortcut = None;
            slots[i].problem = Some(HotkeyProblem::Clash { with });
            continue;
        }
        taken.push((slots[i].action, shortcut));
    }
    (slots, problems)
}

/// The agent's choices after setting `action` to `keys` (none: back to the default, "": off), or why not:
/// the policy sets it, it is not a combination, or another action has it already.
pub fn change(
    policy: &HotkeysPolicy,
    choices: &Choices,
    action: HotkeyAction,
    keys: Option<&str>,
) -> Result<Choices, HotkeyProblem> {
    if configured(policy, action).is_some() {
        return Err(HotkeyProblem::Managed);
    }
    let mut next = choices.clone();
    match keys.map(str::trim) {
        None => {
            next.remove(&action);
        }
        Some(k) => {
            next.insert(action, k.to_owned());
        }
    }
    let text = next
        .get(&action)
        .map_or(default_keys(action), String::as_str);
    if text.is_empty() {
        return Ok(next);
    }
    let wanted = text
        .parse::<Shortcut>()
        .map_err(|_| HotkeyProblem::Invalid)?;
    let (now, _) = resolve(policy, choices);
    if let Some(other) = now
        .iter()
        .find(|s| s.action != action && s.shortcut == Some(wanted))
    {
        return Err(HotkeyProblem::Clash { with: other.action });
    }
    Ok(next)
}

/// The combination `action` has when nobody chose one.
pub fn default_keys(action: HotkeyAction) -> &'static str {
    DEFAULTS
        .iter()
        .find(|(a, _, _)| *a == action)
        .map_or("", |(_, _, d)| *d)
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

fn load_choices(file: &PathBuf) -> Choices {
    match std::fs::read(file) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            log::warn!(
                "the hotkeys chosen in Settings could not be read ({e}); the defaults are used"
            );
            Choices::new()
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Choices::new(),
        Err(e) => {
            log::warn!(
                "the hotkeys chosen in Settings could not be read ({e}); the defaults are used"
            );
            Choices::new()
        }
    }
}

fn save_choices(file: &PathBuf, choices: &Choices) -> Result<(), String> {
    let text = serde_json::to_vec_pretty(choices).map_err(|e| e.to_string())?;
    let tmp = file.with_extension("json.tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, file))
        .map_err(|e| e.to_string())
}

/// The hotkeys registered with the system: the one owner of the registrations and of the agent's choices.
pub struct Hotkeys {
    policy: HotkeysPolicy,
    choices: Choices,
    file: PathBuf,
    commands: mpsc::Sender<Command>,
    muted: watch::Receiver<bool>,
    registered: Vec<Shortcut>,
    slots: Vec<Slot>,
}

impl Hotkeys {
    /// Reads the agent's choices from `file` and registers the hotkeys; the commands go to the engine.
    pub fn start<R: Runtime>(
        app: &AppHandle<R>,
        policy: HotkeysPolicy,
        file: PathBuf,
        commands: mpsc::Sender<Command>,
        muted: watch::Receiver<bool>,
    ) -> Self {
        let choices = load_choices(&file);
        let mut hotkeys = Self {
            policy,
            choices,
            file,
            commands,
            muted,
            registered: Vec::new(),
            slots: Vec::new(),
        };
        hotkeys.register(app);
        hotkeys
    }

    /// What the UI shows: each hotkey, and the change just refused if there was one.
    pub fn event(&self, refused: Option<HotkeyRefusal>) -> Event {
        Event::Hotkeys {
            hotkeys: self.slots.iter().map(Slot::status).collect(),
            refused,
        }
    }

    /// The agent's change from Settings: made and registered at once, or refused with the reason.
    pub fn set<R: Runtime>(
        &mut self,
        app: &AppHandle<R>,
        action: HotkeyAction,
        keys: Option<String>,
    ) -> Event {
        match change(&self.policy, &self.choices, action, keys.as_deref()) {
            Ok(next) => {
                if let Err(e) = save_choices(&self.file, &next) {
                    log::warn!("the hotkeys chosen in Settings could not be saved ({e}); they last until Lifeline closes");
                }
                self.choices = next;
                self.register(app);
                self.event(None)
            }
            Err(problem) => {
                log::info!("hotkey {action:?}: change refused ({problem:?})");
                // Back to the default: the keys refused are the default's.
                let keys = keys.unwrap_or_else(|| default_keys(action).to_owned());
                self.event(Some(HotkeyRefusal {
                    action,
                    keys,
                    problem,
                }))
            }
        }
    }

    /// Drops the previous registrations and registers the hotkeys as they stand now. A shortcut the system
    /// refuses (another program holds it) is logged and marked; the others still work.
    fn register<R: Runtime>(&mut self, app: &AppHandle<R>) {
        for shortcut in self.registered.drain(..) {
            if let Err(e) = app.global_shortcut().unregister(shortcut) {
                log::warn!("hotkey {shortcut} could not be released: {e}");
            }
        }
        let (mut slots, problems) = resolve(&self.policy, &self.choices);
        for p in problems {
            log::warn!("{p}");
        }
        for slot in &mut slots {
            let Some(shortcut) = slot.shortcut else {
                continue;
            };
            let action = slot.action;
            let commands = self.commands.clone();
            let muted = self.muted.clone();
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
                Ok(()) => {
                    log::info!("hotkey {action:?}: {shortcut}");
                    self.registered.push(shortcut);
                }
                Err(e) => {
                    log::warn!("hotkey {action:?} ({shortcut}) not available: {e}");
                    slot.problem = Some(HotkeyProblem::Refused);
                }
            }
        }
        self.slots = slots;
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

    fn shortcuts(slots: &[Slot]) -> Vec<(HotkeyAction, Option<Shortcut>)> {
        slots.iter().map(|s| (s.action, s.shortcut)).collect()
    }

    #[test]
    fn without_policy_the_defaults_are_ctrl_shift_f9_to_f12() {
        let (b, problems) = resolve(&HotkeysPolicy::default(), &Choices::new());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            shortcuts(&b),
            vec![
                (HotkeyAction::Answer, Some(parse("Ctrl+Shift+F9"))),
                (HotkeyAction::Hangup, Some(parse("Ctrl+Shift+F10"))),
                (HotkeyAction::Mute, Some(parse("Ctrl+Shift+F11"))),
                (HotkeyAction::FocusDial, Some(parse("Ctrl+Shift+F12"))),
            ]
        );
        assert!(b.iter().all(|s| !s.managed && s.problem.is_none()));
    }

    #[test]
    fn no_default_is_ctrl_alt_which_is_altgr_on_european_keyboards() {
        let (b, _) = resolve(&HotkeysPolicy::default(), &Choices::new());
        for s in b.iter().filter_map(|s| s.shortcut) {
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
        let (b, problems) = resolve(&policy, &Choices::new());
        assert_eq!(
            shortcuts(&b),
            vec![
                (HotkeyAction::Answer, Some(parse("Ctrl+Alt+Shift+A"))),
                (HotkeyAction::Hangup, None),
                (HotkeyAction::Mute, Some(parse("Ctrl+Shift+F11"))),
                (HotkeyAction::FocusDial, None),
            ]
        );
        assert!(b.iter().all(|s| s.managed));
        assert_eq!(
            b[3].problem,
            Some(HotkeyProblem::Clash {
                with: HotkeyAction::Answer
            })
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("hotkeys.mute:"), "{problems:?}");
        assert!(problems[1].contains("already used"), "{problems:?}");
    }

    #[test]
    fn the_agents_choice_replaces_the_default_and_the_policy_wins_over_it() {
        let choices = Choices::from([
            (HotkeyAction::Answer, "Ctrl+Shift+F8".to_owned()),
            (HotkeyAction::Mute, String::new()),
        ]);
        let (b, _) = resolve(&HotkeysPolicy::default(), &choices);
        assert_eq!(b[0].shortcut, Some(parse("Ctrl+Shift+F8")));
        assert_eq!(b[0].keys, "Ctrl+Shift+F8");
        assert_eq!(b[0].default_keys, "Ctrl+Shift+F9");
        assert_eq!((b[2].shortcut, b[2].keys.as_str()), (None, ""));

        // IT sets hang-up to the agent's answer key: the policy's keeps it, the agent's is left out.
        let policy = HotkeysPolicy {
            hangup: Some("Ctrl+Shift+F8".into()),
            ..Default::default()
        };
        let (b, _) = resolve(&policy, &choices);
        assert!(b[1].managed);
        assert_eq!(b[1].shortcut, Some(parse("Ctrl+Shift+F8")));
        assert_eq!(b[0].shortcut, None);
        assert_eq!(
            b[0].problem,
            Some(HotkeyProblem::Clash {
                with: HotkeyAction::Hangup
            })
        );
    }

    #[test]
    fn a_change_is_refused_when_it_clashes_cannot_be_read_or_the_policy_sets_it() {
        let none = HotkeysPolicy::default();
        let choices = Choices::new();
        assert_eq!(
            change(
                &none,
                &choices,
                HotkeyAction::Answer,
                Some("Ctrl+Shift+F11")
            ),
            Err(HotkeyProblem::Clash {
                with: HotkeyAction::Mute
            })
        );
        // The same combination written another way is the same combination.
        assert_eq!(
            change(
                &none,
                &choices,
                HotkeyAction::Answer,
                Some("shift+control+f10")
            ),
            Err(HotkeyProblem::Clash {
                with: HotkeyAction::Hangup
            })
        );
        assert_eq!(
            change(&none, &choices, HotkeyAction::Answer, Some("Ctrl+Banana")),
            Err(HotkeyProblem::Invalid)
        );
        let managed = HotkeysPolicy {
            answer: Some("Ctrl+Shift+F9".into()),
            ..Default::default()
        };
        assert_eq!(
            change(
                &managed,
                &choices,
                HotkeyAction::Answer,
                Some("Ctrl+Shift+F8")
            ),
            Err(HotkeyProblem::Managed)
        );
    }

    #[test]
    fn a_change_is_made_turned_off_and_reset_and_the_reset_checks_clashes_too() {
        let none = HotkeysPolicy::default();
        let set = change(
            &none,
            &Choices::new(),
            HotkeyAction::Answer,
            Some(" Ctrl+Shift+F8 "),
        )
        .expect("free");
        assert_eq!(
            set.get(&HotkeyAction::Answer).map(String::as_str),
            Some("Ctrl+Shift+F8")
        );
        // The old answer key is free now: mute may take it.
        let set = change(&none, &set, HotkeyAction::Mute, Some("Ctrl+Shift+F9")).expect("free");
        // Answer back to its default would take mute's: refused.
        assert_eq!(
            change(&none, &set, HotkeyAction::Answer, None),
            Err(HotkeyProblem::Clash {
                with: HotkeyAction::Mute
            })
        );
        let off = change(&none, &set, HotkeyAction::Hangup, Some("")).expect("off");
        let (b, _) = resolve(&none, &off);
        assert_eq!((b[1].shortcut, b[1].keys.as_str()), (None, ""));
        let back = change(&none, &off, HotkeyAction::Hangup, None).expect("default");
        assert!(!back.contains_key(&HotkeyAction::Hangup));
    }

    #[test]
    fn the_choices_survive_a_restart_in_their_file() {
        let dir = std::env::temp_dir().join(format!("lifeline-hotkeys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("hotkeys.json");
        assert_eq!(load_choices(&file), Choices::new());
        let choices = Choices::from([(HotkeyAction::FocusDial, "Ctrl+Shift+F7".to_owned())]);
        save_choices(&file, &choices).expect("saved");
        assert_eq!(load_choices(&file), choices);
        std::fs::write(&file, b"{not json").expect("write");
        assert_eq!(load_choices(&file), Choices::new());
        let _ = std::fs::remove_dir_all(&dir);
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
