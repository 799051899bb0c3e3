//! What the desktop does about calls while the agent works in another window: an OS notification for an
//! incoming call (with Answer and Reject) and for a missed one, the window brought forward, the user's
//! attention requested (taskbar flash). The dispatcher's callback always brings the window to the front and
//! asks for attention as critical.
//!
//! Pure: engine events in, [`Alert`]s out; the shell (`desk`) shows them. The privacy rule lives here and
//! only here: a notification never carries a number or an address when the call is an emergency call or the
//! emergency services' callback, nor while emergency mode is on (the OS keeps notifications in a history
//! other programs and screen sharing can read). Outgoing calls, the agent's own emergency call among them,
//! never raise a notification at all.

use std::collections::HashMap;

use lifeline_engine::api::{CallState, Direction, EmergencyMode, EndCode, Event};

/// The notification's action ids (what the notification server reports back).
pub const ANSWER: &str = "answer";
pub const REJECT: &str = "reject";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Incoming,
    Missed,
    CallbackIncoming,
    CallbackMissed,
}

/// One OS notification, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The notification's id (unique per run, so it can be withdrawn).
    pub id: i32,
    /// The engine's call id, for the Answer/Reject actions.
    pub call: String,
    pub kind: NoticeKind,
    pub title: String,
    pub body: String,
    /// Offer Answer and Reject.
    pub actions: bool,
}

/// How urgently the window asks for the agent's attention (the shell maps it to Tauri's
/// `UserAttentionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attention {
    Informational,
    Critical,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    Notify(Notice),
    /// The call was answered, rejected or moved on: its notification goes.
    Withdraw {
        id: i32,
    },
    /// Show the window (unminimise, map); `focus`: also bring it to the front.
    Raise {
        focus: bool,
        attention: Attention,
    },
}

#[derive(Debug)]
struct Ringing {
    notice: i32,
    callback: bool,
    connected: bool,
}

/// The calls that rang here and their notifications.
#[derive(Debug, Default)]
pub struct CallAlerts {
    calls: HashMap<String, Ringing>,
    emergency: Option<EmergencyMode>,
    next_id: i32,
}

impl CallAlerts {
    pub fn on_event(&mut self, event: &Event) -> Vec<Alert> {
        match event {
            Event::Emergency { mode, .. } => {
                self.emergency = Some(*mode);
                Vec::new()
            }
            Event::Call {
                id,
                state,
                direction: Direction::In,
                remote,
                emergency,
                emergency_callback,
                code,
                ..
            } => self.on_incoming_call(id, *state, remote, *emergency, *emergency_callback, *code),
            _ => Vec::new(),
        }
    }

    /// Emergency mode is on (the call, the lock, the agent's choice to remain): no caller in a notification.
    fn private(&self) -> bool {
        matches!(
            self.emergency,
            Some(EmergencyMode::Active | EmergencyMode::Lock | EmergencyMode::Remain)
        )
    }

    fn on_incoming_call(
        &mut self,
        id: &str,
        state: CallState,
        remote: &str,
        emergency: bool,
        callback: bool,
        code: Option<EndCode>,
    ) -> Vec<Alert> {
        match state {
            CallState::Incoming if !self.calls.contains_key(id) => {
                self.next_id = self.next_id.wrapping_add(1);
                let notice = self.next_id;
                self.calls.insert(
                    id.to_owned(),
                    Ringing {
                        notice,
                        callback,
                        connected: false,
                    },
                );
                let caller =
                    (!(emergency || callback || self.private())).then(|| caller_name(remote));
                let (kind, title, body) = if callback {
                    (
                        NoticeKind::CallbackIncoming,
                        "Emergency services calling back",
                        "Answer in Lifeline now.".to_owned(),
                    )
                } else {
                    (
                        NoticeKind::Incoming,
                        "Incoming call",
                        caller.unwrap_or_else(|| "A caller is waiting in Lifeline.".to_owned()),
                    )
                };
                let raise = if callback {
                    Alert::Raise {
                        focus: true,
                        attention: Attention::Critical,
                    }
                } else {
                    Alert::Raise {
                        focus: false,
                        attention: Attention::Informational,
                    }
                };
                vec![
                    raise,
                    Alert::Notify(Notice {
                        id: notice,
                        call: id.to_owned(),
                        kind,
                        title: title.to_owned(),
                        body,
                        actions: true,
                    }),
                ]
            }
            CallState::Connected | CallState::Held => match self.calls.get_mut(id) {
                Some(c) if !c.connected => {
                    c.connected = true;
                    vec![Alert::Withdraw { id: c.notice }]
                }
                _ => Vec::new(),
            },
            CallState::Ended => {
                let Some(c) = self.calls.remove(id) else {
                    return Vec::new();
                };
                let mut out = vec![Alert::Withdraw { id: c.notice }];
                let missed = !c.connected
                    && !matches!(
                        code,
                        Some(EndCode::Rejected | EndCode::Transferred | EndCode::SignedOut)
                    );
                if missed {
                    self.next_id = self.next_id.wrapping_add(1);
                    let caller =
                        (!(emergency || c.callback || self.private())).then(|| caller_name(remote));
                    let (kind, title, body) = if c.callback {
                        (
                            NoticeKind::CallbackMissed,
                            "Missed call from the emergency services",
                            "They may call again: keep Lifeline's line free.".to_owned(),
                        )
                    } else {
                        (
                            NoticeKind::Missed,
                            "Missed call",
                            caller.unwrap_or_else(|| {
                                "A caller hung up before you answered.".to_owned()
                            }),
                        )
                    };
                    out.push(Alert::Notify(Notice {
                        id: self.next_id,
                        call: id.to_owned(),
                        kind,
                        title: title.to_owned(),
                        body,
                        actions: false,
                    }));
                }
                out
            }
            _ => Vec::new(),
        }
    }
}

/// How a caller is shown: the user part or number of `sip:`/`tel:` addresses, else the text as is.
fn caller_name(remote: &str) -> String {
    let bare = remote
        .strip_prefix("sips:")
        .or_else(|| remote.strip_prefix("sip:"))
        .or_else(|| remote.strip_prefix("tel:"))
        .unwrap_or(remote);
    let user = bare.split(['@', ';']).next().unwrap_or(bare);
    if user.is_empty() {
        remote.to_owned()
    } else {
        user.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str, state: CallState, remote: &str, callback: bool) -> Event {
        crate::test_support::call_event(id, state, Direction::In, remote, callback)
    }

    fn ended(id: &str, remote: &str, callback: bool, code: EndCode) -> Event {
        let mut e = call(id, CallState::Ended, remote, callback);
        if let Event::Call { code: c, .. } = &mut e {
            *c = Some(code);
        }
        e
    }

    fn notices(alerts: &[Alert]) -> Vec<&Notice> {
        alerts
            .iter()
            .filter_map(|a| match a {
                Alert::Notify(n) => Some(n),
                _ => None,
            })
            .collect()
    }

    fn mode(m: EmergencyMode) -> Event {
        Event::Emergency {
            mode: m,
            lock_until: None,
        }
    }

    #[test]
    fn an_incoming_call_shows_the_window_and_a_notification_with_the_caller_and_answer_reject() {
        let mut a = CallAlerts::default();
        let out = a.on_event(&call(
            "c1",
            CallState::Incoming,
            "sip:bob@lifeline.lab",
            false,
        ));
        assert_eq!(
            out[0],
            Alert::Raise {
                focus: false,
                attention: Attention::Informational
            }
        );
        let n = notices(&out)[0];
        assert_eq!(
            (n.kind, n.body.as_str(), n.actions),
            (NoticeKind::Incoming, "bob", true)
        );
        assert_eq!(n.call, "c1", "the actions answer this call");
    }

    #[test]
    fn the_same_ringing_call_repeated_by_a_snapshot_notifies_once() {
        let mut a = CallAlerts::default();
        let ev = call("c1", CallState::Incoming, "sip:bob@lifeline.lab", false);
        assert_eq!(notices(&a.on_event(&ev)).len(), 1);
        assert!(a.on_event(&ev).is_empty());
    }

    #[test]
    fn answering_withdraws_the_notification_and_no_missed_call_follows() {
        let mut a = CallAlerts::default();
        let id = notices(&a.on_event(&call("c1", CallState::Incoming, "sip:bob@x", false)))[0].id;
        assert_eq!(
            a.on_event(&call("c1", CallState::Connected, "sip:bob@x", false)),
            vec![Alert::Withdraw { id }]
        );
        let out = a.on_event(&ended("c1", "sip:bob@x", false, EndCode::RemoteHungUp));
        assert_eq!(out, vec![Alert::Withdraw { id }]);
    }

    #[test]
    fn a_caller_who_hangs_up_first_leaves_a_missed_call_notification_without_actions() {
        let mut a = CallAlerts::default();
        let _ = a.on_event(&call("c1", CallState::Incoming, "tel:+15550100", false));
        let out = a.on_event(&ended(
            "c1",
            "tel:+15550100",
            false,
            EndCode::CallerCancelled,
        ));
        assert!(matches!(out[0], Alert::Withdraw { .. }));
        let n = notices(&out)[0];
        assert_eq!(
            (n.kind, n.body.as_str(), n.actions),
            (NoticeKind::Missed, "+15550100", false)
        );
    }

    #[test]
    fn a_call_the_agent_rejected_is_not_missed() {
        let mut a = CallAlerts::default();
        let _ = a.on_event(&call("c1", CallState::Incoming, "sip:bob@x", false));
        let out = a.on_event(&ended("c1", "sip:bob@x", false, EndCode::Rejected));
        assert!(notices(&out).is_empty(), "{out:?}");
    }

    #[test]
    fn the_dispatchers_callback_comes_to_the_front_critically_and_names_nobody() {
        let mut a = CallAlerts::default();
        let _ = a.on_event(&mode(EmergencyMode::Lock));
        let out = a.on_event(&call(
            "c2",
            CallState::Incoming,
            "sip:psap@lifeline.lab",
            true,
        ));
        assert_eq!(
            out[0],
            Alert::Raise {
                focus: true,
                attention: Attention::Critical
            }
        );
        let n = notices(&out)[0];
        assert_eq!(n.kind, NoticeKind::CallbackIncoming);
        assert!(
            !n.body.contains("psap") && !n.title.contains("psap"),
            "{n:?}"
        );
        let missed = a.on_event(&ended(
            "c2",
            "sip:psap@lifeline.lab",
            true,
            EndCode::CallerCancelled,
        ));
        let n = notices(&missed)[0];
        assert_eq!(n.kind, NoticeKind::CallbackMissed);
        assert!(!n.body.contains("psap"), "{n:?}");
    }

    #[test]
    fn outgoing_calls_the_agents_own_emergency_call_among_them_never_notify() {
        let mut a = CallAlerts::default();
        for state in [
            CallState::Dialing,
            CallState::Ringing,
            CallState::Connected,
            CallState::Ended,
        ] {
            let ev = Event::Call {
                id: "c1".into(),
                state,
                direction: Direction::Out,
                remote: "sip:911@lifeline.lab".into(),
                emergency: true,
                emergency_callback: false,
                reason: None,
                code: Some(EndCode::NoAnswer),
                status: None,
                transferred_from: None,
                auto_answered: None,
            };
            assert!(a.on_event(&ev).is_empty(), "{state:?}");
        }
    }

    /// The privacy rule over every combination: no notification text holds the remote address (or its
    /// user part) for an emergency call, the callback, or any call while emergency mode is on.
    #[test]
    fn no_notification_carries_a_number_during_emergency_mode_or_for_emergency_calls() {
        let remote = "sip:5550199@lifeline.lab";
        for m in [
            None,
            Some(EmergencyMode::Off),
            Some(EmergencyMode::Active),
            Some(EmergencyMode::Lock),
            Some(EmergencyMode::Remain),
        ] {
            for (emergency, callback) in [(false, false), (true, false), (false, true)] {
                for end in [
                    EndCode::CallerCancelled,
                    EndCode::NoAnswer,
                    EndCode::ConnectionLost,
                ] {
                    let mut a = CallAlerts::default();
                    if let Some(m) = m {
                        let _ = a.on_event(&mode(m));
                    }
                    let mut ring = call("c9", CallState::Incoming, remote, callback);
                    let mut gone = ended("c9", remote, callback, end);
                    for ev in [&mut ring, &mut gone] {
                        if let Event::Call { emergency: e, .. } = ev {
                            *e = emergency;
                        }
                    }
                    let mut out = a.on_event(&ring);
                    out.extend(a.on_event(&gone));
                    let shown: Vec<_> = notices(&out)
                        .into_iter()
                        .map(|n| format!("{} {}", n.title, n.body))
                        .collect();
                    assert_eq!(shown.len(), 2, "rang and missed: {shown:?}");
                    let private =
                        emergency || callback || !matches!(m, None | Some(EmergencyMode::Off));
                    assert_eq!(
                        shown.iter().any(|s| s.contains("5550199")),
                        !private,
                        "mode {m:?} emergency {emergency} callback {callback}: {shown:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn caller_names_are_the_user_part() {
        assert_eq!(caller_name("sip:bob@lifeline.lab"), "bob");
        assert_eq!(caller_name("sips:bob@x;transport=ws"), "bob");
        assert_eq!(caller_name("tel:+15550100"), "+15550100");
        assert_eq!(caller_name("Bob"), "Bob");
        assert_eq!(caller_name("sip:@x"), "sip:@x");
    }
}
