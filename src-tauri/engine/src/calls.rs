//! The engine's calls: one entry per SIP call, with its media session and what the UI is shown. The
//! owner task ([`crate::core`]) holds the table; nothing else touches it.
//!
//! Commands without a call id (`hangup`, `hold`, `dtmf`, ...) act on [`CallTable::current`]: the call in
//! conversation, else the outgoing call being set up, else the incoming call ringing.

use std::collections::BTreeMap;

use crate::api::{CallState, Direction, Event};
use crate::media::MediaSession;

/// One call as the engine sees it.
pub struct CallEntry {
    pub dir: Direction,
    pub remote: String,
    pub state: CallState,
    pub emergency: bool,
    pub emergency_callback: bool,
    /// Created when the call is placed or answered.
    pub media: Option<MediaSession>,
    /// The far end's SDP has been applied (from a 183 or the 200); later answers are re-INVITE answers.
    pub remote_sdp_applied: bool,
    /// The incoming INVITE's offer, until answered.
    pub offer: Option<String>,
    /// We asked the far end to hold (our re-INVITE is out or accepted).
    pub held: bool,
    pub muted: bool,
    /// The agent hung up before the far end answered.
    pub cancelled: bool,
    /// Reached `connected` at some point.
    pub ever_connected: bool,
    pub started_at: time::OffsetDateTime,
    /// When the conversation began (for the duration in history).
    pub connected_at: Option<std::time::Instant>,
    /// Set for an emergency (or test) call placed here.
    pub emergency_call: Option<EmergencyCall>,
    /// After a network change: the ICE-restart offer waiting for the line to be registered again.
    pub restart_offer: Option<String>,
    /// Our ICE-restart re-INVITE is out: its answer must reach the media session.
    pub restart_answer_pending: bool,
}

/// What the engine keeps about an outgoing emergency or test call (never logged: `target` is the number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyCall {
    /// Ties the notifications of this call together and names the location's Content-ID.
    pub token: String,
    /// The INVITE carries the PIDF-LO (false on the retry without it, or when no location is known).
    pub with_location: bool,
    /// A test call (933, `urn:service:test.sos`): no guard, no notifications.
    pub test: bool,
    /// The number or URN dialled (after mapping).
    pub target: String,
    /// Its RFC 5031 service URN (`urn:service:sos`, `urn:service:test.sos`).
    pub service_urn: String,
}

impl CallEntry {
    pub fn new(dir: Direction, remote: String, state: CallState) -> CallEntry {
        CallEntry {
            dir,
            remote,
            state,
            emergency: false,
            emergency_callback: false,
            media: None,
            remote_sdp_applied: false,
            restart_offer: None,
            restart_answer_pending: false,
            offer: None,
            held: false,
            muted: false,
            cancelled: false,
            ever_connected: false,
            started_at: time::OffsetDateTime::now_utc(),
            connected_at: None,
            emergency_call: None,
        }
    }

    pub fn event(&self, id: u64, reason: Option<String>) -> Event {
        Event::Call {
            id: call_id(id),
            state: self.state,
            direction: self.dir,
            remote: self.remote.clone(),
            emergency: self.emergency,
            emergency_callback: self.emergency_callback,
            reason,
        }
    }
}

/// The id shown to the UI and scripts for the SIP layer's call number.
pub fn call_id(id: u64) -> String {
    format!("c{id}")
}

#[derive(Default)]
pub struct CallTable {
    calls: BTreeMap<u64, CallEntry>,
}

impl CallTable {
    pub fn insert(&mut self, id: u64, call: CallEntry) {
        self.calls.insert(id, call);
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut CallEntry> {
        self.calls.get_mut(&id)
    }

    pub fn get(&self, id: u64) -> Option<&CallEntry> {
        self.calls.get(&id)
    }

    pub fn remove(&mut self, id: u64) -> Option<CallEntry> {
        self.calls.remove(&id)
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (u64, &CallEntry)> {
        self.calls.iter().map(|(id, c)| (*id, c))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (u64, &mut CallEntry)> {
        self.calls.iter_mut().map(|(id, c)| (*id, c))
    }

    /// The call a command without an id means (see the module documentation).
    pub fn current(&self) -> Option<u64> {
        let pick = |pred: &dyn Fn(&CallEntry) -> bool| {
            self.calls.iter().find(|(_, c)| pred(c)).map(|(id, _)| *id)
        };
        pick(&|c| matches!(c.state, CallState::Connected | CallState::Held))
            .or_else(|| {
                pick(&|c| {
                    c.dir == Direction::Out
                        && matches!(c.state, CallState::Dialing | CallState::Ringing)
                })
            })
            .or_else(|| self.ringing_incoming())
    }

    /// The incoming call ringing here (the oldest, when several do).
    pub fn ringing_incoming(&self) -> Option<u64> {
        self.calls
            .iter()
            .find(|(_, c)| c.state == CallState::Incoming)
            .map(|(id, _)| *id)
    }

    /// A call is in conversation or being set up (not merely ringing here).
    pub fn busy(&self) -> bool {
        self.calls.values().any(|c| c.state != CallState::Incoming)
    }

    pub fn emergency_in_progress(&self) -> bool {
        self.calls.values().any(|c| c.emergency)
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
        let mut t = CallTable::default();
        t.insert(
            1,
            CallEntry::new(Direction::In, "sip:a@x".into(), CallState::Incoming),
        );
        assert_eq!(t.current(), Some(1));
        t.insert(
            2,
            CallEntry::new(Direction::Out, "sip:b@x".into(), CallState::Connected),
        );
        assert_eq!(t.current(), Some(2));
        assert_eq!(t.ringing_incoming(), Some(1));
        assert!(t.busy());
    }
}
