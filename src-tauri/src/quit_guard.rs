//! Whether the app may close now: the same rule as the engine's sign-out (issue 15). During the emergency
//! call, and during the callback lock until its minutes are over, closing the window or quitting would take
//! the line down while the dispatcher may call back; the window is kept (minimised) and the UI says why and
//! until when. Logging off or shutting down still ends the app (SIGTERM): the lock is on disk and resumes at
//! the next start.
//!
//! Pure: the emergency state comes from the engine's `emergency` events (watched in `ui_events`), time is an
//! input. The shell acts on the [`Decision`].

use lifeline_engine::api::{EmergencyMode, ErrorCode, Event};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The emergency state as the engine last announced it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmergencyState {
    pub mode: Option<EmergencyMode>,
    /// RFC 3339, UTC, as the engine sent it.
    pub lock_until: Option<String>,
}

impl EmergencyState {
    /// The state an engine event announces, if it is an `emergency` event.
    pub fn from_event(event: &Event) -> Option<Self> {
        match event {
            Event::Emergency { mode, lock_until } => Some(Self {
                mode: Some(*mode),
                lock_until: lock_until.clone(),
            }),
            _ => None,
        }
    }
}

/// What to do with a request to close the window or quit.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Close,
    /// Keep running and registered; tell the agent why (an `error` event with a code the UI translates).
    Keep(Event),
}

pub fn on_quit_request(state: &EmergencyState, now: OffsetDateTime) -> Decision {
    match state.mode {
        Some(EmergencyMode::Active) => Decision::Keep(Event::error(
            ErrorCode::QuitDuringEmergencyCall,
            "Lifeline stays open during the emergency call; it was minimised instead",
            &[],
        )),
        Some(EmergencyMode::Lock) => match lock_end(state) {
            // Once the lock's minutes are over the agent is asked to exit or remain, and sign-out exits:
            // quitting may go too.
            Some(until) if until <= now => Decision::Close,
            // An end that cannot be read is no reason to drop the line: keep it, say so without a time.
            until => {
                // Whole seconds: the agent reads it (the engine's value carries nanoseconds).
                let until = until
                    .and_then(|u| u.replace_nanosecond(0).ok())
                    .and_then(|u| u.format(&Rfc3339).ok())
                    .or_else(|| state.lock_until.clone())
                    .unwrap_or_default();
                Decision::Keep(Event::error(
                    ErrorCode::QuitDuringCallbackLock,
                    format!(
                        "Lifeline stays open and registered: the line is kept free for the emergency \
                         services to call back until {until} (UTC); it was minimised instead. Logging off \
                         or shutting down the computer ends it."
                    ),
                    &[("until", until)],
                ))
            }
        },
        // Remain is the agent's own choice after the lock; sign-out ends it, and so may quitting.
        _ => Decision::Close,
    }
}

fn lock_end(state: &EmergencyState) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(state.lock_until.as_deref()?, &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-04 01:00 UTC);

    fn state(mode: EmergencyMode, until: Option<&str>) -> EmergencyState {
        EmergencyState {
            mode: Some(mode),
            lock_until: until.map(str::to_owned),
        }
    }

    fn code(d: &Decision) -> Option<ErrorCode> {
        match d {
            Decision::Keep(Event::Error { code, .. }) => *code,
            _ => None,
        }
    }

    #[test]
    fn outside_emergency_modes_close_works_as_before() {
        assert_eq!(
            on_quit_request(&EmergencyState::default(), NOW),
            Decision::Close
        );
        assert_eq!(
            on_quit_request(&state(EmergencyMode::Off, None), NOW),
            Decision::Close
        );
    }

    #[test]
    fn during_the_emergency_call_the_app_stays() {
        let d = on_quit_request(&state(EmergencyMode::Active, None), NOW);
        assert_eq!(code(&d), Some(ErrorCode::QuitDuringEmergencyCall));
    }

    #[test]
    fn during_the_lock_the_app_stays_and_says_until_when() {
        let d = on_quit_request(
            &state(EmergencyMode::Lock, Some("2026-12-04T01:05:00.382292864Z")),
            NOW,
        );
        let Decision::Keep(Event::Error { code, params, .. }) = d else {
            panic!("kept: {d:?}");
        };
        assert_eq!(code, Some(ErrorCode::QuitDuringCallbackLock));
        assert_eq!(
            params.get("until").map(String::as_str),
            Some("2026-12-04T01:05:00Z")
        );
    }

    #[test]
    fn once_the_lock_is_over_quit_is_allowed_like_sign_out() {
        let over = state(EmergencyMode::Lock, Some("2026-12-04T00:59:59Z"));
        assert_eq!(on_quit_request(&over, NOW), Decision::Close);
        assert_eq!(
            on_quit_request(
                &state(EmergencyMode::Remain, Some("2026-12-05T00:00:00Z")),
                NOW
            ),
            Decision::Close
        );
    }

    #[test]
    fn a_lock_whose_end_cannot_be_read_still_keeps_the_line() {
        for until in [None, Some("soon")] {
            let d = on_quit_request(&state(EmergencyMode::Lock, until), NOW);
            assert_eq!(
                code(&d),
                Some(ErrorCode::QuitDuringCallbackLock),
                "{until:?}"
            );
        }
    }

    #[test]
    fn only_emergency_events_change_the_state() {
        let ev = Event::Emergency {
            mode: EmergencyMode::Lock,
            lock_until: Some("2026-12-04T01:05:00Z".into()),
        };
        assert_eq!(
            EmergencyState::from_event(&ev),
            Some(state(EmergencyMode::Lock, Some("2026-12-04T01:05:00Z")))
        );
        assert_eq!(
            EmergencyState::from_event(&Event::DialRequest { number: "1".into() }),
            None
        );
    }
}
