//! A location that stays true during an emergency call. When the location changes while the dispatcher is
//! on the line (a network change, the agent's correction, the location server's new answer), the new
//! PIDF-LO goes to the dispatcher in the dialog: a re-INVITE with our description as it is and the new
//! location, `multipart/mixed` as in the INVITE, `Geolocation: <cid:…>` naming its part and
//! `Geolocation-Routing` (RFC 6442 section 3.2: a location is updated by a new request in the dialog).
//! The notices say so once the dispatcher has accepted it (its 2xx).
//!
//! One update at a time per call, never beside an ICE restart (the restart's re-INVITE goes first, the
//! location follows its answer). A far end that refuses a location (415, 424, 488; or it refused the
//! INVITE's, which was then retried without one) gets no more; an update lost otherwise (491, a
//! transaction error) is tried again at the next location check.

use super::{Core, MediaRequest, SipRequest};
use crate::api::Event;
use crate::calls::{CallId, Hold, Phase, Relocate, Restart, SipId};
use crate::location::body::{invite_body, GEOLOCATION_ROUTING};
use crate::notify::NoticeKind;
use crate::sip::ReinviteBody;

/// Answers by which the far end says it does not take a location in the dialog.
fn refuses_location(code: u16) -> bool {
    matches!(code, 415 | 424 | 488)
}

impl Core {
    /// Emergency calls in conversation whose dispatcher has another location than the current one: ask
    /// for the SDP of the re-INVITE that brings it (it goes once made, [`Core::relocate_offer_ready`]).
    pub(super) fn relocate_calls(&mut self) {
        let Some(loc) = self.location.current.clone() else {
            // Nothing better to say: the dispatcher keeps what they have.
            return;
        };
        let due: Vec<(CallId, bool)> = self
            .calls
            .iter()
            .filter_map(|(id, c)| {
                let e = c.emergency()?;
                let Phase::Talking { talk, .. } = &c.phase else {
                    return None;
                };
                let stale = e.sent_location.as_ref().is_none_or(|s| !s.same_place(&loc));
                let free = talk.relocate == Relocate::Idle
                    && talk.restart == Restart::Idle
                    && !matches!(talk.hold, Hold::Making(_));
                (stale && free && !e.location_refused).then_some((id, talk.hold.on()))
            })
            .collect();
        for (id, held) in due {
            if let Some(Phase::Talking { talk, .. }) = self.calls.get_mut(id).map(|c| &mut c.phase)
            {
                talk.relocate = Relocate::Making;
            }
            tracing::info!("call {id}: the location changed; sending it to the dispatcher");
            self.media(id, MediaRequest::Reoffer { held });
        }
    }

    /// The SDP for the location update is made: the re-INVITE with SDP + PIDF-LO goes out.
    pub(super) fn relocate_offer_ready(
        &mut self,
        id: CallId,
        sdp: Result<String, String>,
    ) -> Vec<Event> {
        let domain = self.domain.clone().unwrap_or_else(|| "invalid".to_owned());
        let token = super::emergency_flow::token();
        let loc = self.location.current.clone();
        let xml = loc
            .as_ref()
            .and_then(|l| self.location_document(l, &token, &domain));
        let Some(c) = self.calls.get_mut(id) else {
            return vec![];
        };
        let Phase::Talking { sip, talk } = &mut c.phase else {
            return vec![];
        };
        if talk.relocate != Relocate::Making {
            return vec![];
        }
        let sip = *sip;
        let (sdp, xml, loc) = match (sdp, xml, loc) {
            (Ok(sdp), Some(xml), Some(loc)) => (sdp, xml, loc),
            (Err(e), ..) => {
                talk.relocate = Relocate::Idle;
                tracing::warn!("call {id}: no description for the location update: {e}");
                return vec![];
            }
            _ => {
                // The location went (or cannot be written) meanwhile: the dispatcher keeps theirs.
                talk.relocate = Relocate::Idle;
                return vec![];
            }
        };
        let body = match invite_body(&sdp, &xml, &token, &domain) {
            Ok(b) => b,
            Err(e) => {
                talk.relocate = Relocate::Idle;
                tracing::error!("call {id}: the location update cannot be written: {e}");
                return vec![];
            }
        };
        talk.relocate = Relocate::Sent(loc);
        let wrapped = ReinviteBody {
            content_type: body.content_type,
            body: body.body.into_bytes(),
            extra_headers: vec![
                ("Geolocation".to_owned(), body.geolocation),
                (
                    "Geolocation-Routing".to_owned(),
                    GEOLOCATION_ROUTING.to_owned(),
                ),
            ],
        };
        self.sip(SipRequest::Reinvite {
            sip,
            sdp,
            wrapped: Some(wrapped),
        });
        vec![]
    }

    /// The far end answered a re-INVITE of `id` (2xx): if it was our location update, the dispatcher has
    /// the new location now, and the notices say so. Then any later change goes too.
    pub(super) fn relocate_answered(&mut self, id: CallId) {
        let Some(c) = self.calls.get_mut(id) else {
            return;
        };
        if let Phase::Talking { talk, .. } = &mut c.phase {
            if let Relocate::Sent(loc) = std::mem::replace(&mut talk.relocate, Relocate::Idle) {
                if let crate::calls::CallKind::Emergency(e) = &mut c.kind {
                    e.sent_location = Some(loc);
                    e.with_location = true;
                    let call = e.clone();
                    tracing::info!("call {id}: the dispatcher has the new location");
                    self.notify(NoticeKind::LocationChanged, &call, None);
                }
            }
        }
        self.relocate_calls();
    }

    /// A re-INVITE of `id` failed with `code` (`None`: it could not be sent): whether it was our location
    /// update (then nothing else is undone).
    pub(super) fn relocate_failed(&mut self, id: CallId, code: Option<u16>) -> bool {
        let Some(c) = self.calls.get_mut(id) else {
            return false;
        };
        let Phase::Talking { talk, .. } = &mut c.phase else {
            return false;
        };
        if !matches!(talk.relocate, Relocate::Sent(_)) {
            return false;
        }
        talk.relocate = Relocate::Idle;
        let refused = code.is_some_and(refuses_location);
        if let crate::calls::CallKind::Emergency(e) = &mut c.kind {
            e.location_refused |= refused;
        }
        match code {
            Some(code) => tracing::warn!(
                refused,
                "call {id}: the dispatcher's side did not take the new location ({code})"
            ),
            None => tracing::warn!("call {id}: the location update could not be sent"),
        }
        true
    }

    /// The SIP task could not send a request of dialog `sip`: whether it was our location update.
    pub(super) fn relocate_not_sent(&mut self, sip: SipId) -> bool {
        self.calls
            .by_sip(sip)
            .is_some_and(|id| self.relocate_failed(id, None))
    }
}

#[cfg(test)]
#[path = "relocate_tests.rs"]
pub(super) mod tests;
