//! What the tray icon shows: the line's registration and the agent's presence in the tooltip and the
//! menu's status line, emergency mode in the icon itself (a red icon, so an agent who closed the window
//! still sees that the line is held for the dispatcher).
//!
//! Pure: engine events in, the view out; `tray` draws it.

use lifeline_engine::api::{EmergencyMode, Event, Presence, RegistrationState};

/// Which of the tray's icons (icons/tray/*.png).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayIcon {
    Registered,
    Offline,
    Emergency,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrayStatus {
    registration: Option<RegistrationState>,
    retrying: bool,
    presence: Option<Presence>,
    emergency: Option<EmergencyMode>,
}

impl TrayStatus {
    /// Takes what the tray shows from an engine event; true when the view changed.
    pub fn on_event(&mut self, event: &Event) -> bool {
        let before = self.clone();
        match event {
            Event::Registration {
                state, retrying, ..
            } => {
                self.registration = Some(*state);
                self.retrying = *retrying;
            }
            Event::Presence { status, .. } => self.presence = Some(*status),
            Event::Emergency { mode, .. } => self.emergency = Some(*mode),
            _ => {}
        }
        *self != before
    }

    fn in_emergency(&self) -> bool {
        matches!(
            self.emergency,
            Some(EmergencyMode::Active | EmergencyMode::Lock)
        )
    }

    pub fn icon(&self) -> TrayIcon {
        if self.in_emergency() {
            TrayIcon::Emergency
        } else if self.registration == Some(RegistrationState::Registered) {
            TrayIcon::Registered
        } else {
            TrayIcon::Offline
        }
    }

    /// One line: the line's state, the presence, and emergency mode when on ("Registered · Available").
    pub fn status_line(&self) -> String {
        let line = match (self.registration, self.retrying) {
            (Some(RegistrationState::Registered), _) => "Registered",
            (Some(RegistrationState::Failed), true) => "Not registered (retrying)",
            (Some(RegistrationState::Failed), false) => "Not registered",
            (Some(RegistrationState::Unregistered), _) | (None, _) => "Signed out",
        };
        let mut parts = vec![line.to_owned()];
        if let Some(p) = self.presence {
            parts.push(presence_name(p).to_owned());
        }
        match self.emergency {
            Some(EmergencyMode::Active) => parts.push("Emergency call".to_owned()),
            Some(EmergencyMode::Lock) => {
                parts.push("Line kept for the emergency callback".to_owned())
            }
            _ => {}
        }
        parts.join(" · ")
    }

    pub fn tooltip(&self) -> String {
        format!("Lifeline: {}", self.status_line())
    }
}

fn presence_name(p: Presence) -> &'static str {
    match p {
        Presence::Available => "Available",
        Presence::Busy => "Busy",
        Presence::DoNotDisturb => "Do not disturb",
        Presence::Away => "Away",
        Presence::WorkingOffline => "Working offline",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration(state: RegistrationState, retrying: bool) -> Event {
        Event::Registration {
            state,
            reason: None,
            code: None,
            params: Default::default(),
            retrying,
        }
    }

    fn emergency(mode: EmergencyMode) -> Event {
        Event::Emergency {
            mode,
            lock_until: Some("2026-12-04T01:05:00Z".into()),
        }
    }

    #[test]
    fn before_sign_in_the_tray_is_grey_and_says_signed_out() {
        let t = TrayStatus::default();
        assert_eq!(t.icon(), TrayIcon::Offline);
        assert_eq!(t.tooltip(), "Lifeline: Signed out");
    }

    #[test]
    fn registration_and_presence_are_in_the_tooltip() {
        let mut t = TrayStatus::default();
        assert!(t.on_event(&registration(RegistrationState::Registered, false)));
        assert!(t.on_event(&Event::Presence {
            status: Presence::Busy,
            forced: false
        }));
        assert_eq!(t.icon(), TrayIcon::Registered);
        assert_eq!(t.tooltip(), "Lifeline: Registered · Busy");
        assert!(t.on_event(&registration(RegistrationState::Failed, true)));
        assert_eq!(t.icon(), TrayIcon::Offline);
        assert_eq!(t.status_line(), "Not registered (retrying) · Busy");
    }

    #[test]
    fn emergency_mode_changes_the_icon_itself_until_it_ends() {
        let mut t = TrayStatus::default();
        let _ = t.on_event(&registration(RegistrationState::Registered, false));
        assert!(t.on_event(&emergency(EmergencyMode::Active)));
        assert_eq!(t.icon(), TrayIcon::Emergency);
        assert!(t.status_line().ends_with("Emergency call"));
        let _ = t.on_event(&emergency(EmergencyMode::Lock));
        assert_eq!(t.icon(), TrayIcon::Emergency);
        assert!(t.tooltip().contains("kept for the emergency callback"));
        let _ = t.on_event(&emergency(EmergencyMode::Off));
        assert_eq!(t.icon(), TrayIcon::Registered);
    }

    #[test]
    fn events_that_change_nothing_do_not_redraw() {
        let mut t = TrayStatus::default();
        assert!(t.on_event(&registration(RegistrationState::Registered, false)));
        assert!(!t.on_event(&registration(RegistrationState::Registered, false)));
        assert!(!t.on_event(&Event::DialRequest { number: "1".into() }));
    }
}
