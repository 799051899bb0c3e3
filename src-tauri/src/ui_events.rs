//! The one owner of the UI's event channel: engine events and the shell's own events (dial requests from
//! links, app settings) go through here to the window.
//!
//! [`Mailbox`] is the pure part (what to send now, what to keep for a subscriber that is not there yet);
//! [`run`] is the task that owns the Tauri channel and feeds the mailbox.

use lifeline_engine::api::Event;
use lifeline_engine::core::TIMING;
use tauri::ipc::Channel;
use tokio::sync::{mpsc, watch};

use crate::quit_guard::EmergencyState;

/// Shell events kept for a UI that has not subscribed yet (a link opened while the window loads).
const MAX_PENDING: usize = 8;

/// What the rest of the shell tells the UI owner.
pub enum ToUi {
    /// A (re)loaded UI subscribed; `first` goes out before anything else (the shell's settings).
    Subscribe {
        channel: Channel<Event>,
        first: Vec<Event>,
    },
    /// An event the shell itself produces (never from the engine).
    Shell(Event),
}

/// Who an event came from decides what happens without a subscriber: the engine's state is repeated on
/// `snapshot` when the UI subscribes, so its events can be dropped; the shell's requests are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Engine,
    Shell,
}

#[derive(Debug, Default)]
pub struct Mailbox {
    subscribed: bool,
    pending: Vec<Event>,
}

impl Mailbox {
    /// The event to send now, if any; shell events without a subscriber are kept (the newest
    /// [`MAX_PENDING`], and only the newest dial request: the agent clicked the last link last).
    pub fn on_event(&mut self, event: Event, origin: Origin) -> Option<Event> {
        if self.subscribed {
            return Some(event);
        }
        if origin == Origin::Shell {
            if matches!(event, Event::DialRequest { .. }) {
                self.pending
                    .retain(|e| !matches!(e, Event::DialRequest { .. }));
            }
            self.pending.push(event);
            if self.pending.len() > MAX_PENDING {
                self.pending.remove(0);
            }
        }
        None
    }

    /// A UI subscribed: the events kept for it, in order.
    pub fn on_subscribe(&mut self) -> Vec<Event> {
        self.subscribed = true;
        std::mem::take(&mut self.pending)
    }

    /// The window did not take an event (it is reloading): keep shell events for the next subscriber.
    pub fn on_send_failed(&mut self, event: Event, origin: Origin) {
        self.subscribed = false;
        let _ = self.on_event(event, origin);
    }
}

/// What the shell learns from the engine's events on their way to the window.
pub struct Watchers {
    /// The emergency state, for the quit rule (`quit_guard`).
    pub emergency: watch::Sender<EmergencyState>,
    /// The tray and the call notifications (`desk`): every engine event, after the emergency state. The
    /// window, hidden in the tray or minimised by a close, comes back from there when a call rings.
    pub desk: Box<dyn FnMut(&Event) + Send>,
}

impl Watchers {
    fn on_engine_event(&mut self, ev: &Event) {
        if let Some(state) = EmergencyState::from_event(ev) {
            self.emergency.send_replace(state);
        }
        (self.desk)(ev);
    }
}

/// Runs until both inputs close: the shell's messages and the engine's events.
pub async fn run(
    mut shell: mpsc::Receiver<ToUi>,
    mut engine: mpsc::Receiver<Event>,
    mut watchers: Watchers,
) {
    let mut mailbox = Mailbox::default();
    let mut channel: Option<Channel<Event>> = None;
    let mut engine_open = true;
    loop {
        // Biased: a subscription is always queued before the snapshot it asks the engine for.
        let (event, origin) = tokio::select! {
            biased;
            msg = shell.recv() => match msg {
                Some(ToUi::Subscribe { channel: ch, first }) => {
                    let kept = mailbox.on_subscribe();
                    for ev in first.into_iter().chain(kept) {
                        deliver(&ch, &mut mailbox, ev, Origin::Shell);
                    }
                    channel = Some(ch);
                    continue;
                }
                Some(ToUi::Shell(ev)) => (ev, Origin::Shell),
                None => break,
            },
            ev = engine.recv(), if engine_open => match ev {
                Some(ev) => {
                    watchers.on_engine_event(&ev);
                    (ev, Origin::Engine)
                }
                None => {
                    engine_open = false;
                    continue;
                }
            },
        };
        if let Some(ev) = mailbox.on_event(event, origin) {
            if let Some(ch) = &channel {
                deliver(ch, &mut mailbox, ev, origin);
            }
        }
    }
}

fn deliver(ch: &Channel<Event>, mailbox: &mut Mailbox, ev: Event, origin: Origin) {
    if matches!(ev, Event::Call { .. } | Event::Emergency { .. }) {
        log::debug!(target: TIMING, "window: a call or emergency event handed to the channel");
    }
    if let Err(e) = ch.send(ev.clone()) {
        log::warn!("event not delivered to the window: {e}");
        mailbox.on_send_failed(ev, origin);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An engine event that the mailbox must not hold for a later subscriber.
    fn engine_error() -> Event {
        Event::Error {
            message: "x".into(),
            code: None,
            params: Default::default(),
        }
    }

    fn dial(n: &str) -> Event {
        Event::DialRequest { number: n.into() }
    }

    #[test]
    fn a_link_opened_before_the_ui_subscribes_is_delivered_when_it_does() {
        let mut m = Mailbox::default();
        assert_eq!(m.on_event(dial("911"), Origin::Shell), None);
        assert_eq!(m.on_subscribe(), vec![dial("911")]);
        assert_eq!(m.on_subscribe(), vec![], "delivered once");
    }

    #[test]
    fn engine_events_before_the_subscription_are_dropped_the_snapshot_repeats_them() {
        let mut m = Mailbox::default();
        assert_eq!(m.on_event(engine_error(), Origin::Engine), None);
        assert_eq!(m.on_subscribe(), vec![]);
    }

    #[test]
    fn only_the_last_of_several_early_links_is_kept() {
        let mut m = Mailbox::default();
        let settings = Event::AppSettings {
            start_at_login: true,
        };
        let _ = m.on_event(dial("5550100"), Origin::Shell);
        let _ = m.on_event(settings.clone(), Origin::Shell);
        let _ = m.on_event(dial("911"), Origin::Shell);
        assert_eq!(m.on_subscribe(), vec![settings, dial("911")]);
    }

    #[test]
    fn with_a_subscriber_everything_goes_straight_through() {
        let mut m = Mailbox::default();
        let _ = m.on_subscribe();
        assert_eq!(m.on_event(dial("911"), Origin::Shell), Some(dial("911")));
        let err = engine_error();
        assert_eq!(m.on_event(err.clone(), Origin::Engine), Some(err));
    }

    #[test]
    fn a_dial_request_the_window_did_not_take_waits_for_the_next_subscriber() {
        let mut m = Mailbox::default();
        let _ = m.on_subscribe();
        m.on_send_failed(dial("911"), Origin::Shell);
        assert_eq!(m.on_event(engine_error(), Origin::Engine), None);
        assert_eq!(m.on_subscribe(), vec![dial("911")]);
    }

    #[test]
    fn the_watchers_learn_the_emergency_state_and_hand_every_event_to_the_desk() {
        use lifeline_engine::api::{CallState, Direction, EmergencyMode};
        use std::sync::{Arc, Mutex};
        let (tx, rx) = watch::channel(EmergencyState::default());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let mut w = Watchers {
            emergency: tx,
            desk: Box::new(move |ev| {
                if let (Ok(mut l), Event::Call { id, .. }) = (log.lock(), ev) {
                    l.push(id.clone());
                }
            }),
        };
        w.on_engine_event(&Event::Emergency {
            mode: EmergencyMode::Lock,
            lock_until: Some("2026-12-04T01:05:00Z".into()),
        });
        assert_eq!(rx.borrow().mode, Some(EmergencyMode::Lock));
        w.on_engine_event(&Event::Call {
            id: "c1".into(),
            state: CallState::Incoming,
            direction: Direction::In,
            remote: "sip:psap@lifeline.lab".into(),
            emergency: false,
            emergency_callback: true,
            reason: None,
            code: None,
            status: None,
            transferred_from: None,
            auto_answered: None,
        });
        assert_eq!(*seen.lock().expect("lock"), vec!["c1".to_owned()]);
        assert_eq!(
            rx.borrow().mode,
            Some(EmergencyMode::Lock),
            "kept by other events"
        );
    }

    #[test]
    fn the_pending_list_is_bounded() {
        let mut m = Mailbox::default();
        for _ in 0..3 * MAX_PENDING {
            let _ = m.on_event(
                Event::AppSettings {
                    start_at_login: false,
                },
                Origin::Shell,
            );
        }
        assert_eq!(m.on_subscribe().len(), MAX_PENDING);
    }
}
