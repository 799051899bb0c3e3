//! The engine's calls: one entry per call, each in an explicit [`Phase`], with what the UI is shown. The
//! core ([`crate::core::Core`]) holds the table; nothing else touches it. The media session of a call is
//! not here: the driver owns it, the core asks for media work by [`CallId`].
//!
//! Commands without a call id (`hangup`, `hold`, `dtmf`, ...) act on [`CallTable::current`]: the emergency
//! call placed here, else the call in conversation (one not on hold first), else the outgoing call being
//! set up, else the incoming call ringing.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::api::{CallState, Direction, EndCode, Event};

/// The core's name for a call, from the moment it exists (before the SIP layer has one for it). The UI
/// sees it as `c<n>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallId(pub u64);

impl std::fmt::Display for CallId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "c{}", self.0)
    }
}

/// The SIP layer's number for a call's dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SipId(pub u64);

/// Where a call is. Outgoing: `Offering` -> `Inviting` -> `Early` -> `Talking`; incoming: `Incoming` ->
/// `Answering` -> `Talking`. A call that ends leaves the table (its last state is told to the UI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Outgoing: the media session makes the offer (ICE gathering); nothing has been sent yet. A hang-up
    /// here ends the call at once. The INVITE to send once the offer is made:
    Offering(InvitePlan),
    /// Outgoing: the INVITE is with the SIP task, which has not named the dialog yet.
    Inviting { cancelled: bool },
    /// Outgoing: the INVITE is out (`ringing` once the far end says so). `answer_applied`: the far end's
    /// SDP (from a 183 or the 200) went to the media session; later answers are re-INVITE answers.
    Early {
        sip: SipId,
        ringing: bool,
        cancelled: bool,
        answer_applied: bool,
    },
    /// Incoming, ringing here, with the INVITE's offer.
    Incoming { sip: SipId, offer: Option<String> },
    /// Incoming: the agent answered; the media session makes our answer.
    Answering { sip: SipId },
    /// In conversation.
    Talking { sip: SipId, talk: Talk },
}

/// How an outgoing call's INVITE is made once its offer is ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitePlan {
    pub target: String,
    pub headers: Vec<(String, String)>,
    /// For an emergency call: the parts to send beside the SDP (the PIDF-LO, the RFC 7852 blocks), as a
    /// `multipart/mixed` body whose parts the plan's headers name by Content-ID.
    pub parts: Option<BodyParts>,
    /// The line's connection, or the plain-transport retry of an emergency call.
    pub route: crate::sip::CallRoute,
}

/// The parts of an emergency INVITE's multipart body beside the SDP, and the call's token (the boundary
/// is made from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyParts {
    pub token: String,
    pub parts: Vec<crate::location::body::Part>,
}

/// A call in conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Talk {
    /// What we asked the far end for (hold or not), and whether an offer for it is being made.
    pub hold: Hold,
    /// What the UI shows: `Connected` or `Held`, changed when the far end has answered.
    pub shown: CallState,
    /// When the conversation began (for the duration in history).
    pub since: Instant,
    pub restart: Restart,
    /// Sending an emergency call's new location in the dialog ([`crate::core`]'s relocate flow).
    pub relocate: Relocate,
}

/// An emergency call's new location on its way to the dispatcher (a re-INVITE with SDP + PIDF-LO).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relocate {
    Idle,
    /// The media session makes the SDP to send beside it (our description as it is, a new version).
    Making,
    /// Our re-INVITE carrying this location is out.
    Sent(crate::location::Location),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    Off,
    On,
    /// The media session makes the hold (`true`) or resume offer.
    Making(bool),
}

impl Hold {
    /// Held as far as the last re-INVITE we sent says.
    pub fn on(self) -> bool {
        match self {
            Hold::On => true,
            Hold::Off => false,
            // Until the offer is made nothing was asked: the call is as it was.
            Hold::Making(on) => !on,
        }
    }

    /// Held, or being put on hold: what the agent asked for last.
    pub fn wanted(self) -> bool {
        matches!(self, Hold::On | Hold::Making(true))
    }
}

/// Moving the media to a new network (ICE restart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restart {
    Idle,
    /// The media session makes the restart offer.
    Making,
    /// The offer waits for the line to be registered again.
    Ready(String),
    /// Our re-INVITE is out: its answer must reach the media session.
    AnswerPending,
}

/// What kind of call it is: it decides the guard, history and notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallKind {
    Ordinary,
    /// An emergency (or test) call placed here.
    Emergency(EmergencyCall),
    /// An incoming call recognised as the dispatcher calling back during the lock.
    Callback,
}

/// One call as the engine sees it.
#[derive(Debug, Clone)]
pub struct CallEntry {
    pub dir: Direction,
    pub remote: String,
    pub phase: Phase,
    pub kind: CallKind,
    pub muted: bool,
    pub started_at: time::OffsetDateTime,
    /// When the conversation began, if it did (kept when the call ends, for history).
    pub connected_at: Option<Instant>,
    /// An ordinary incoming call: when it began to ring (it is refused with 480 after
    /// [`RING_TIMEOUT`]); `None` once refused, or for calls that ring until the caller gives up.
    pub ring_since: Option<Instant>,
    /// A call placed on the far end's REFER in that call (being transferred), or the call an incoming
    /// INVITE with `Replaces` takes over (transferred to the agent).
    pub transferred_from: Option<CallId>,
    /// Taking over that call (`Replaces`): answered without ringing, and that call is hung up once this
    /// one is in conversation.
    pub replacing: bool,
    /// A transfer of this call under way, or done.
    pub transfer: Option<TransferOf>,
    /// An incoming call the engine answers by itself (policy `calls.*`, the core's `auto_answer`).
    pub auto_answer: Option<AutoAnswer>,
}

/// An incoming call answered without the agent: due at `at` while it rings, then done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoAnswer {
    Due {
        at: Instant,
        why: crate::api::AutoAnswered,
    },
    Done(crate::api::AutoAnswered),
}

/// A call's transfer, as far as the core follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferOf {
    /// The agent's REFER is out; its NOTIFYs tell how it goes.
    Referring { since: Instant },
    /// The far end's REFER was accepted: the engine's call `new` goes to the target.
    Referred { new: CallId },
    /// The transfer succeeded: the call ends as `transferred`.
    Done,
    /// An incoming INVITE with `Replaces` takes this call over; it ends (`transferred`) once that one
    /// is in conversation.
    Replaced,
    /// The consultation call of an attended transfer of call `by`: ended (`transferred`) when that one
    /// succeeds, since the far end here is then talking to the transferred party.
    Consulted { by: CallId },
}

/// How long the agent's transfer waits for the far end's final word (a final NOTIFY, RFC 3515 2.4.5)
/// before it is reported failed: the call stays with the agent, who can try again or hang up.
pub const TRANSFER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// How long an ordinary incoming call rings before it is refused (480): together with the limit on
/// ringing calls, a caller that never gives up cannot hold one of the few ringing places for ever.
pub const RING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// How a call ended: the stable code, its SIP status if any, and the English text (the event's `reason`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEnd {
    pub code: EndCode,
    pub status: Option<u16>,
    pub text: String,
}

/// What the engine keeps about an outgoing emergency or test call (never logged: `target` is the number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyCall {
    /// Ties the notifications of this call together and names the location's Content-ID.
    pub token: String,
    /// The INVITE carries the PIDF-LO (false on the retry without it, or when no location is known).
    pub with_location: bool,
    /// The INVITE carries the RFC 7852 additional data (false on the retry without the multipart body,
    /// or when policy turned it off or no block could be written).
    pub with_data: bool,
    /// A test call (933, `urn:service:test.sos`): no guard, no notifications.
    pub test: bool,
    /// The test call of a self-test: hung up once answered, judged by the core's self-test flow, never
    /// "use another phone".
    pub self_test: bool,
    /// The number or URN dialled (after mapping).
    pub target: String,
    /// The location the dispatcher has (from the INVITE or a later re-INVITE); never logged. When the
    /// location changes during the call, the new one is sent in the dialog.
    pub sent_location: Option<crate::location::Location>,
    /// The far end refused a location (the INVITE was retried without it, or an update was refused):
    /// no more are sent to it.
    pub location_refused: bool,
    /// Its RFC 5031 service URN (`urn:service:sos`, `urn:service:test.sos`).
    pub service_urn: String,
    /// This attempt's connection: the line's, or the retry without TLS (RFC 6881 ED-47).
    pub route: crate::sip::CallRoute,
}

impl EmergencyCall {
    /// The first attempt of a call to `target`: over the line, nothing sent or refused yet.
    pub fn first(
        token: String,
        target: String,
        service_urn: String,
        with_location: bool,
        test: bool,
    ) -> EmergencyCall {
        EmergencyCall {
            token,
            with_location,
            with_data: true,
            test,
            self_test: false,
            target,
            sent_location: None,
            location_refused: false,
            service_urn,
            route: crate::sip::CallRoute::Line,
        }
    }
}

impl CallEntry {
    pub fn new(
        dir: Direction,
        remote: String,
        phase: Phase,
        kind: CallKind,
        now: time::OffsetDateTime,
    ) -> CallEntry {
        CallEntry {
            dir,
            remote,
            phase,
            kind,
            muted: false,
            started_at: now,
            connected_at: None,
            ring_since: None,
            transferred_from: None,
            replacing: false,
            transfer: None,
            auto_answer: None,
        }
    }

    /// The SIP dialog, once the SIP layer has named it.
    pub fn sip(&self) -> Option<SipId> {
        match &self.phase {
            Phase::Offering(_) | Phase::Inviting { .. } => None,
            Phase::Early { sip, .. }
            | Phase::Incoming { sip, .. }
            | Phase::Answering { sip }
            | Phase::Talking { sip, .. } => Some(*sip),
        }
    }

    /// The state the UI is shown.
    pub fn state(&self) -> CallState {
        match &self.phase {
            Phase::Offering(_) | Phase::Inviting { .. } => CallState::Dialing,
            Phase::Early { ringing: false, .. } => CallState::Dialing,
            Phase::Early { ringing: true, .. } => CallState::Ringing,
            Phase::Incoming { .. } | Phase::Answering { .. } => CallState::Incoming,
            Phase::Talking { talk, .. } => talk.shown,
        }
    }

    pub fn talking(&self) -> bool {
        matches!(self.phase, Phase::Talking { .. })
    }

    /// The agent hung up before the far end answered.
    pub fn cancelled(&self) -> bool {
        matches!(
            self.phase,
            Phase::Inviting { cancelled: true }
                | Phase::Early {
                    cancelled: true,
                    ..
                }
        )
    }

    pub fn emergency(&self) -> Option<&EmergencyCall> {
        match &self.kind {
            CallKind::Emergency(e) => Some(e),
            _ => None,
        }
    }

    /// The UI's `emergency` flag: a real emergency call (a test call is not one).
    pub fn is_emergency(&self) -> bool {
        self.emergency().is_some_and(|e| !e.test)
    }

    pub fn is_callback(&self) -> bool {
        self.kind == CallKind::Callback
    }

    /// The call's state for the UI (not ended).
    pub fn event(&self, id: CallId, state: CallState) -> Event {
        self.event_with(id, state, None)
    }

    /// The call's last event: ended, and why.
    pub fn ended_event(&self, id: CallId, end: &CallEnd) -> Event {
        self.event_with(id, CallState::Ended, Some(end))
    }

    fn event_with(&self, id: CallId, state: CallState, end: Option<&CallEnd>) -> Event {
        Event::Call {
            id: id.to_string(),
            state,
            direction: self.dir,
            remote: self.remote.clone(),
            emergency: self.is_emergency(),
            emergency_callback: self.is_callback(),
            reason: end.map(|e| e.text.clone()),
            code: end.map(|e| e.code),
            status: end.and_then(|e| e.status),
            transferred_from: self.transferred_from.map(|c| c.to_string()),
            auto_answered: match self.auto_answer {
                Some(AutoAnswer::Done(why)) => Some(why),
                _ => None,
            },
        }
    }
}

#[derive(Default)]
pub struct CallTable {
    calls: BTreeMap<CallId, CallEntry>,
    last: u64,
}

impl CallTable {
    /// Adds a call under a new id.
    pub fn add(&mut self, call: CallEntry) -> CallId {
        self.last += 1;
        let id = CallId(self.last);
        self.calls.insert(id, call);
        id
    }

    pub fn get_mut(&mut self, id: CallId) -> Option<&mut CallEntry> {
        self.calls.get_mut(&id)
    }

    pub fn get(&self, id: CallId) -> Option<&CallEntry> {
        self.calls.get(&id)
    }

    pub fn remove(&mut self, id: CallId) -> Option<CallEntry> {
        self.calls.remove(&id)
    }

    /// The call of this SIP dialog.
    pub fn by_sip(&self, sip: SipId) -> Option<CallId> {
        self.calls
            .iter()
            .find(|(_, c)| c.sip() == Some(sip))
            .map(|(id, _)| *id)
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (CallId, &CallEntry)> {
        self.calls.iter().map(|(id, c)| (*id, c))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (CallId, &mut CallEntry)> {
        self.calls.iter_mut().map(|(id, c)| (*id, c))
    }

    /// The call a command without an id means (see the module documentation).
    pub fn current(&self) -> Option<CallId> {
        let pick = |pred: &dyn Fn(&CallEntry) -> bool| {
            self.calls.iter().find(|(_, c)| pred(c)).map(|(id, _)| *id)
        };
        // The emergency call first: the call it made way for is on hold beside it (issue 15), and a
        // hang-up or digit meant for the dispatcher must never reach that one.
        pick(&|c| c.emergency().is_some() && c.dir == Direction::Out)
            .or_else(|| {
                pick(&|c| matches!(&c.phase, Phase::Talking { talk, .. } if !talk.hold.wanted()))
            })
            // A second call being placed comes before the call it put on hold.
            .or_else(|| {
                pick(&|c| {
                    matches!(
                        c.phase,
                        Phase::Offering(_) | Phase::Inviting { .. } | Phase::Early { .. }
                    )
                })
            })
            .or_else(|| pick(&|c| c.talking()))
            .or_else(|| self.ringing_incoming())
    }

    /// The incoming call ringing here that a command without an id means: the emergency services'
    /// callback when one rings (ordinary calls ringing first must never stand in front of it: issue 13),
    /// else the oldest.
    pub fn ringing_incoming(&self) -> Option<CallId> {
        let ringing = || {
            self.calls
                .iter()
                .filter(|(_, c)| matches!(c.phase, Phase::Incoming { .. }))
        };
        ringing()
            .find(|(_, c)| c.is_callback())
            .or_else(|| ringing().next())
            .map(|(id, _)| *id)
    }

    /// The call the UI names `name` (its `Event::Call` id, e.g. "c3"), whatever its state.
    pub fn named(&self, name: &str) -> Option<CallId> {
        self.calls
            .keys()
            .find(|id| id.to_string() == name.trim())
            .copied()
    }

    /// The incoming call ringing here that the UI names `name` (its `Event::Call` id, e.g. "c3").
    pub fn ringing_named(&self, name: &str) -> Option<CallId> {
        self.calls
            .iter()
            .find(|(id, c)| {
                matches!(c.phase, Phase::Incoming { .. }) && id.to_string() == name.trim()
            })
            .map(|(id, _)| *id)
    }

    /// Ordinary incoming calls that have rung for [`RING_TIMEOUT`] at `now`, forgotten as such (each is
    /// returned once, to be refused).
    pub fn take_rung_out(&mut self, now: Instant) -> Vec<SipId> {
        self.calls
            .values_mut()
            .filter_map(|c| match (&c.phase, c.ring_since) {
                (Phase::Incoming { sip, .. }, Some(since))
                    if now.saturating_duration_since(since) >= RING_TIMEOUT =>
                {
                    c.ring_since = None;
                    Some(*sip)
                }
                _ => None,
            })
            .collect()
    }

    /// How many incoming calls ring here (or are being answered).
    pub fn ringing_count(&self) -> usize {
        self.calls
            .values()
            .filter(|c| matches!(c.phase, Phase::Incoming { .. } | Phase::Answering { .. }))
            .count()
    }

    /// A call is in conversation or being set up (not merely ringing here).
    pub fn busy(&self) -> bool {
        self.calls
            .values()
            .any(|c| !matches!(c.phase, Phase::Incoming { .. }))
    }

    /// An outgoing call waits for the SIP task to name its dialog.
    pub fn inviting(&self) -> bool {
        self.calls
            .values()
            .any(|c| matches!(c.phase, Phase::Inviting { .. }))
    }
}

/// Why a dialled string cannot become a call target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("enter a number or address to call")]
    Empty,
    #[error("\"{0}\" is not a number or SIP address that can be called")]
    Invalid(String),
}

/// The Request-URI for what the agent dialled: a `sip:`, `sips:` or `tel:` URI as given; otherwise a
/// number (visual separators removed) or user name at the account's domain.
pub fn dial_target(dialled: &str, domain: &str) -> Result<String, TargetError> {
    let s = dialled.trim();
    if s.is_empty() {
        return Err(TargetError::Empty);
    }
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("sip:")
        || lower.starts_with("sips:")
        || lower.starts_with("tel:")
        || lower.starts_with("urn:")
    {
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == '"')
        {
            return Err(TargetError::Invalid(s.to_owned()));
        }
        return Ok(s.to_owned());
    }
    let phone_like = s
        .chars()
        .all(|c| c.is_ascii_digit() || "+*#-(). ".contains(c));
    let user: String = if phone_like {
        s.chars().filter(|c| !"-(). ".contains(*c)).collect()
    } else {
        s.to_owned()
    };
    let valid_user = !user.is_empty()
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.!~*'()&=+$,;?/%#".contains(c))
        && !user.contains('@');
    if !valid_user {
        return Err(TargetError::Invalid(s.to_owned()));
    }
    let user = user.replace('#', "%23");
    Ok(format!("sip:{user}@{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_user_names_go_to_the_account_domain() {
        assert_eq!(
            dial_target(" 933 ", "lifeline.lab").as_deref(),
            Ok("sip:933@lifeline.lab")
        );
        assert_eq!(
            dial_target("+1 (555) 010-0100", "x.org").as_deref(),
            Ok("sip:+15550100100@x.org")
        );
        assert_eq!(
            dial_target("peer", "lifeline.lab").as_deref(),
            Ok("sip:peer@lifeline.lab")
        );
        assert_eq!(
            dial_target("*72#", "x.org").as_deref(),
            Ok("sip:*72%23@x.org")
        );
    }

    #[test]
    fn uris_are_kept_as_given() {
        assert_eq!(
            dial_target("sip:bob@example.com", "x").as_deref(),
            Ok("sip:bob@example.com")
        );
        assert_eq!(
            dial_target("tel:+15550100", "x").as_deref(),
            Ok("tel:+15550100")
        );
        assert_eq!(
            dial_target("urn:service:sos", "x").as_deref(),
            Ok("urn:service:sos")
        );
    }

    #[test]
    fn junk_is_refused_with_a_reason() {
        assert_eq!(dial_target("  ", "x"), Err(TargetError::Empty));
        assert!(matches!(
            dial_target("bob@evil", "x"),
            Err(TargetError::Invalid(_))
        ));
        assert!(matches!(
            dial_target("sip:a b@x", "x"),
            Err(TargetError::Invalid(_))
        ));
        assert!(matches!(
            dial_target("a\r\nVia: x", "x"),
            Err(TargetError::Invalid(_))
        ));
    }

    #[test]
    fn the_current_call_prefers_the_conversation_over_a_ringing_one() {
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let mut t = CallTable::default();
        let ringing = Phase::Incoming {
            sip: SipId(1),
            offer: None,
        };
        let a = t.add(CallEntry::new(
            Direction::In,
            "sip:a@x".into(),
            ringing,
            CallKind::Ordinary,
            now,
        ));
        assert_eq!(t.current(), Some(a));
        let talk = Talk {
            hold: Hold::Off,
            shown: CallState::Connected,
            since: Instant::now(),
            restart: Restart::Idle,
            relocate: Relocate::Idle,
        };
        let talking = Phase::Talking {
            sip: SipId(2),
            talk,
        };
        let b = t.add(CallEntry::new(
            Direction::Out,
            "sip:b@x".into(),
            talking,
            CallKind::Ordinary,
            now,
        ));
        assert_eq!(t.current(), Some(b));
        assert_eq!(t.ringing_incoming(), Some(a));
        assert_eq!(t.by_sip(SipId(2)), Some(b));
        assert!(t.busy());
    }

    #[test]
    fn a_command_without_an_id_means_the_callback_never_an_older_ordinary_call() {
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let mut t = CallTable::default();
        let ring = |sip| Phase::Incoming {
            sip: SipId(sip),
            offer: None,
        };
        let spam = t.add(CallEntry::new(
            Direction::In,
            "sip:spam@x".into(),
            ring(1),
            CallKind::Ordinary,
            now,
        ));
        let spam2 = t.add(CallEntry::new(
            Direction::In,
            "sip:spam2@x".into(),
            ring(2),
            CallKind::Ordinary,
            now,
        ));
        assert_eq!(t.ringing_incoming(), Some(spam), "the oldest, among equals");
        let psap = t.add(CallEntry::new(
            Direction::In,
            "tel:+15125550142".into(),
            ring(3),
            CallKind::Callback,
            now,
        ));
        assert_eq!(t.ringing_incoming(), Some(psap));
        assert_eq!(t.current(), Some(psap));
        assert_eq!(t.ringing_named(&spam2.to_string()), Some(spam2));
        assert_eq!(t.ringing_named(" c999 "), None);
    }
}
