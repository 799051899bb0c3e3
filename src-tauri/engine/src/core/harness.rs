//! A test driver for the [`Core`]: a real store (in memory), a fake clock, and the SIP task and media
//! sessions played by the test. Outputs are carried out as the real driver does (store requests through
//! [`super::persist`], in order); SIP and media requests are recorded for the test to answer.

use std::time::Duration;

use super::{persist, Core, Input, MediaDone, MediaRequest, Now, Output, SipRequest};
use crate::api::{Command, Event, RegistrationState};
use crate::calls::{CallId, SipId};
use crate::sip::{CallEvent, IncomingFacts, SipEvent};
use crate::store::Store;

/// What came out of the core, in order (events in full, the rest by kind).
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    Event(Event),
    Sip(&'static str),
    Media(CallId, &'static str),
    Store(&'static str),
    StartSip,
    Work,
    Wake,
}

pub struct Harness {
    pub core: Core,
    pub store: Store,
    pub now: Now,
    pub log: Vec<Seen>,
    pub sip: Vec<SipRequest>,
    /// What the core asked to publish (`SipRequest::Publish` / `ResumePublication`, kept apart from
    /// `sip` so the call flows' tests read their own requests), with the position in `log`.
    pub published: Vec<(usize, SipRequest)>,
    /// The same for the dialogs (`SipRequest::PublishDialogs`).
    pub dialogs_published: Vec<(usize, SipRequest)>,
    pub media: Vec<(CallId, MediaRequest)>,
    session: u64,
    next_sip: u64,
    /// Guard modes written since the UI last heard of one.
    persisted: Vec<crate::api::EmergencyMode>,
}

impl Harness {
    /// A started core under this managed policy, with an empty store.
    pub fn new(policy: serde_json::Value) -> Harness {
        Harness::with_store(policy, Store::in_memory().expect("store"))
    }

    /// A started core under this policy over an existing store (a restart after a crash).
    pub fn with_store(policy: serde_json::Value, store: Store) -> Harness {
        let now = Now {
            mono: super::driver::now().mono,
            utc: time::OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time"),
        };
        Harness::start(policy, store, now, 100)
    }

    /// The engine crashed and starts again over the same store, at the same time.
    pub fn restart(self, policy: serde_json::Value) -> Harness {
        Harness::start(policy, self.store, self.now, self.next_sip)
    }

    fn start(policy: serde_json::Value, store: Store, now: Now, next_sip: u64) -> Harness {
        let mut h = Harness {
            core: Core::with_policy(policy),
            store,
            now,
            log: Vec::new(),
            sip: Vec::new(),
            published: Vec::new(),
            dialogs_published: Vec::new(),
            media: Vec::new(),
            session: 0,
            next_sip,
            persisted: Vec::new(),
        };
        let (user, fingerprint) = h.core.acceptance_key();
        let restored = persist::restore(&h.store, &user, &fingerprint);
        h.input(Input::Start(restored));
        h
    }

    /// Feeds one input and carries out what follows; returns the events it led to.
    pub fn input(&mut self, input: Input) -> Vec<Event> {
        let from = self.log.len();
        self.core.handle_input(input, self.now);
        while let Some(out) = self.core.poll_output() {
            let seen = match out {
                Output::Event(ev) => {
                    if let Event::Emergency { mode, .. } = &ev {
                        // The guard's contract: the UI hears of a mode only once it is on disk (it may
                        // be on disk already superseded, when one input moved the guard twice).
                        let saved = self.store.load_guard().expect("read").map(|s| s.mode);
                        let saved = saved.unwrap_or(crate::api::EmergencyMode::Off);
                        assert!(
                            saved == *mode || self.persisted.contains(mode),
                            "{ev:?} shown before it was persisted (on disk: {saved:?})"
                        );
                        self.persisted.clear();
                    }
                    Seen::Event(ev)
                }
                Output::Sip(req @ SipRequest::PublishDialogs(_)) => {
                    self.dialogs_published.push((self.log.len(), req));
                    Seen::Sip("publish")
                }
                Output::Sip(
                    req @ (SipRequest::Publish(_)
                    | SipRequest::ResumePublication(_)
                    | SipRequest::WatchOwnPresence(_)
                    | SipRequest::OverridePresence(_)),
                ) => {
                    self.published.push((self.log.len(), req));
                    Seen::Sip("publish")
                }
                Output::Sip(req) => {
                    let kind = match &req {
                        SipRequest::Invite { .. } => "invite",
                        SipRequest::Ring { .. } => "ring",
                        SipRequest::Answer { .. } => "answer",
                        SipRequest::Reject { .. } => "reject",
                        SipRequest::Hangup { .. } => "hangup",
                        SipRequest::Reinvite { .. } => "reinvite",
                        SipRequest::Refer { .. } => "refer",
                        SipRequest::AnswerRefer { .. } => "answer_refer",
                        SipRequest::NotifyRefer { .. } => "notify_refer",
                        SipRequest::NetworkChanged => "network_changed",
                        SipRequest::SignOut => "sign_out",
                        SipRequest::Publish(_)
                        | SipRequest::PublishDialogs(_)
                        | SipRequest::ResumePublication(_)
                        | SipRequest::WatchOwnPresence(_)
                        | SipRequest::OverridePresence(_) => "publish",
                    };
                    self.sip.push(req);
                    Seen::Sip(kind)
                }
                Output::StartSip { session, .. } => {
                    self.session = session;
                    Seen::StartSip
                }
                Output::Media { call, request } => {
                    let kind = match &request {
                        MediaRequest::Offer { .. } => "offer",
                        MediaRequest::Answer { .. } => "answer",
                        MediaRequest::SetRemoteAnswer { .. } => "set_remote_answer",
                        MediaRequest::AnswerReoffer(_) => "answer_reoffer",
                        MediaRequest::HoldOffer(_) => "hold_offer",
                        MediaRequest::Hold(_) => "hold",
                        MediaRequest::RestartOffer => "restart_offer",
                        MediaRequest::Reoffer { .. } => "reoffer",
                        MediaRequest::Mute(_) => "mute",
                        MediaRequest::Dtmf(_) => "dtmf",
                        MediaRequest::Close => "close",
                    };
                    self.media.push((call, request));
                    Seen::Media(call, kind)
                }
                Output::Store(req) => {
                    if let super::StoreRequest::PersistGuard(snap) = &req {
                        self.persisted.push(snap.mode);
                    }
                    let kind = match &req {
                        super::StoreRequest::PersistGuard(_) => "guard",
                        super::StoreRequest::QueueNotice { .. } => "notice",
                        super::StoreRequest::Audit(..) => "audit",
                        super::StoreRequest::History(_) => "history",
                        super::StoreRequest::Acceptance(_) => "acceptance",
                        super::StoreRequest::AgentEntry(_) => "agent_entry",
                        super::StoreRequest::Publication(_) => "publication",
                        super::StoreRequest::PresenceChange { .. } => "presence_change",
                    };
                    if let Some(stored) = persist::carry_out(&self.store, req) {
                        self.core.handle_input(Input::Stored(stored), self.now);
                    }
                    Seen::Store(kind)
                }
                Output::Work(_) => Seen::Work,
                Output::WakeNotifier => Seen::Wake,
            };
            self.log.push(seen);
        }
        self.log[from..]
            .iter()
            .filter_map(|s| match s {
                Seen::Event(ev) => Some(ev.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn command(&mut self, cmd: Command) -> Vec<Event> {
        self.input(Input::Command(cmd))
    }

    /// What the SIP task of the current sign-in reports.
    pub fn sip_event(&mut self, event: SipEvent) -> Vec<Event> {
        let session = self.session;
        self.input(Input::Sip { session, event })
    }

    pub fn call_event(&mut self, ev: CallEvent) -> Vec<Event> {
        self.sip_event(SipEvent::Call(ev))
    }

    /// Signs in to `lifeline.lab` and has the line registered.
    pub fn sign_in(&mut self) {
        self.sign_in_over("ws://127.0.0.1:5066");
    }

    /// The same through `server` (`wss://...` for a line over TLS).
    pub fn sign_in_over(&mut self, server: &str) {
        self.command(Command::SignIn {
            server: server.into(),
            domain: "lifeline.lab".into(),
            user: "agent".into(),
            password: "secret".into(),
            remember: false,
        });
        self.sip_event(SipEvent::Registration {
            state: RegistrationState::Registered,
            reason: None,
            cause: None,
        });
    }

    pub fn media_done(&mut self, call: CallId, done: MediaDone) -> Vec<Event> {
        self.input(Input::MediaDone { call, done })
    }

    /// The SIP task names the dialog of our INVITE for `call`.
    pub fn invite_sent(&mut self, call: CallId) -> SipId {
        self.next_sip += 1;
        let sip = SipId(self.next_sip);
        self.input(Input::InviteSent {
            call,
            result: Ok(sip),
        });
        sip
    }

    /// The call `sip` connects, then the far end hangs up.
    pub fn connected_then_hung_up(&mut self, sip: SipId) {
        self.call_event(CallEvent::Connected { id: sip.0 });
        self.call_event(CallEvent::Ended {
            id: sip.0,
            code: None,
            cause: crate::sip::EndCause::RemoteHungUp,
            reason: "hung up".into(),
        });
    }

    pub fn advance(&mut self, d: Duration) {
        self.now.mono += d;
        self.now.utc += d;
    }

    /// The calls the core asked media offers for, in order.
    pub fn offers_asked(&self) -> Vec<CallId> {
        self.media
            .iter()
            .filter(|(_, r)| matches!(r, MediaRequest::Offer { .. }))
            .map(|(c, _)| *c)
            .collect()
    }

    pub fn invites(&self) -> usize {
        self.sip
            .iter()
            .filter(|r| matches!(r, SipRequest::Invite { .. }))
            .count()
    }

    /// What the log holds after position `from`, without events.
    pub fn actions_since(&self, from: usize) -> Vec<Seen> {
        self.log[from..]
            .iter()
            .filter(|s| !matches!(s, Seen::Event(_)))
            .cloned()
            .collect()
    }
}

/// An incoming call to the agent's ordinary line from `from`, as the SIP layer reports it.
pub fn incoming(id: u64, from: &str) -> CallEvent {
    CallEvent::Incoming {
        id,
        offer: Some("v=0\r\n".into()),
        facts: IncomingFacts {
            from: from.into(),
            request_uri: "sip:agent@lifeline.lab".into(),
            to: "<sip:agent@lifeline.lab>".into(),
            ..IncomingFacts::default()
        },
    }
}
