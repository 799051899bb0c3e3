//! Blind transfer in an INVITE dialog (RFC 3515 REFER with its implicit subscription, RFC 3892
//! `Referred-By`), both ways, sans-IO like the rest of [`super::Calls`].
//!
//! - Transferring (we are the transferor): [`Calls::refer`] sends REFER with `Refer-To` and `Referred-By`.
//!   The REFER's refusal, or its time-out, is a final [`CallEvent::TransferProgress`]. Each NOTIFY from the
//!   transferee is answered 200 and its `message/sipfrag` status reported; a final 2xx status means the
//!   transferee reached the target: our leg is done, so we BYE it and the call ends with
//!   [`EndCause::Transferred`]. A failure leaves the call as it was.
//! - Being transferred (we are the transferee): their REFER is reported as [`CallEvent::Referred`] and waits
//!   for the engine, which alone knows whether a transfer is allowed now (never during an emergency call:
//!   RFC 6881 ED-66) and places the new call: [`Calls::answer_refer`] accepts (202, then the first NOTIFY,
//!   100 Trying) or refuses it; [`Calls::notify_refer`] reports the new call's progress to the transferor.
//!   A second REFER while one waits gets 491 (RFC 3515 2.4.7 allows refusing it).

use ezk_sip_types::Name;

use super::{
    in_dialog, reply, send_tracked, uri_of, Call, CallError, CallEvent, CallOutput, Calls, Ctx,
};
use super::{EndCause, Phase};
use crate::sip::message::SipMessage;

/// Where a REFER we received stands.
#[derive(Debug, Clone, Default)]
pub(super) enum ReferIn {
    #[default]
    Idle,
    /// Reported to the engine, waiting for [`Calls::answer_refer`].
    Asked(Box<SipMessage>),
    /// Accepted: the transferor hears of the new call through our NOTIFYs until a final status.
    Notifying,
}

/// The `Referred-By` value for a REFER of ours and the header name it goes under.
const REFERRED_BY: &str = "Referred-By";

impl Calls {
    /// Blind transfer: asks the far end of call `id` (in conversation) to call `target`, a SIP/tel URI.
    /// Attended transfer when `replaces` names another call in conversation: the far end of call `id` is
    /// asked to call that call's far end with `Replaces` naming its dialog (RFC 3891, RFC 5589 7), so the
    /// two far ends end up talking and both of our calls end.
    pub(crate) fn refer(
        &mut self,
        id: u64,
        target: &str,
        replaces: Option<u64>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), CallError> {
        let target = match replaces {
            Some(other) => {
                let o = self.calls.get(&other).ok_or(CallError::NoSuchCall)?;
                if other == id || o.phase != Phase::Confirmed {
                    return Err(CallError::WrongState);
                }
                replacing_target(o).ok_or(CallError::WrongState)?
            }
            None => target.trim().to_owned(),
        };
        let c = self.calls.get_mut(&id).ok_or(CallError::NoSuchCall)?;
        if c.phase != Phase::Confirmed || c.refer_out {
            return Err(CallError::WrongState);
        }
        let target = target.as_str();
        if target.is_empty() || target.contains(['\r', '\n', '<', '>']) {
            return Err(CallError::BadRequest);
        }
        let mut spec = in_dialog(c, "REFER", None);
        // The REFER creates a subscription (RFC 3515 2.4.1): the NOTIFYs come to our Contact.
        spec.contact = true;
        spec.extra = vec![
            ("Refer-To".to_owned(), format!("<{target}>")),
            (REFERRED_BY.to_owned(), format!("<{}>", ctx.local.aor())),
        ];
        send_tracked(&spec, id, ctx)?;
        c.refer_out = true;
        Ok(())
    }

    /// The final response to our REFER: 2xx means the NOTIFYs will tell the rest; anything else ends
    /// the transfer (the call goes on).
    pub(super) fn on_refer_response(&mut self, id: u64, code: u16, ctx: &mut Ctx<'_>) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if code < 300 || !c.refer_out {
            return;
        }
        c.refer_out = false;
        ctx.out
            .push_back(CallOutput::Event(CallEvent::TransferProgress {
                id,
                status: code,
                done: true,
            }));
    }

    /// Our REFER got no final response in time.
    pub(super) fn on_refer_timeout(
        &mut self,
        id: u64,
        out: &mut std::collections::VecDeque<CallOutput>,
    ) {
        if let Some(c) = self.calls.get_mut(&id).filter(|c| c.refer_out) {
            c.refer_out = false;
            out.push_back(CallOutput::Event(CallEvent::TransferProgress {
                id,
                status: 408,
                done: true,
            }));
        }
    }

    /// A NOTIFY in the dialog: the progress of the transferee's call (RFC 3515 2.4.4).
    pub(super) fn on_notify(&mut self, id: u64, req: SipMessage, ctx: &mut Ctx<'_>) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let event = req.raw(&Name::EVENT).map(event_package);
        if event.as_deref() != Some("refer") {
            reply(ctx, &req, 489, "Bad Event", None);
            return;
        }
        if !c.refer_out {
            // No transfer of ours is going on (a late NOTIFY after the result, say): the subscription
            // is over for us (RFC 6665 4.1.3: 481 ends it at the notifier).
            reply(ctx, &req, 481, "Subscription Does Not Exist", None);
            return;
        }
        reply(ctx, &req, 200, "OK", None);
        let terminated = req
            .raw(&Name::SUBSCRIPTION_STATE)
            .is_some_and(|s| s.trim().to_ascii_lowercase().starts_with("terminated"));
        // A NOTIFY without a readable status line (or a terminated subscription without one) tells
        // nothing of the outcome: 100 while it goes on, a failure once it is over.
        let status = sipfrag_status(&req.body).unwrap_or(if terminated { 503 } else { 100 });
        let done = status >= 200 || terminated;
        if done {
            c.refer_out = false;
        }
        ctx.out
            .push_back(CallOutput::Event(CallEvent::TransferProgress {
                id,
                status,
                done,
            }));
        if done && (200..300).contains(&status) {
            // The transferee talks to the target now: our leg has nothing left to carry.
            let bye = in_dialog(c, "BYE", None);
            let _ = send_tracked(&bye, id, ctx);
            self.end(id, None, EndCause::Transferred, "transferred", ctx.out);
        }
    }

    /// Their REFER: reported to the engine, which answers with [`Calls::answer_refer`].
    pub(super) fn on_refer(&mut self, id: u64, req: SipMessage, ctx: &mut Ctx<'_>) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let target = req
            .raws(&Name::REFER_TO)
            .first()
            .and_then(|v| refer_target(v));
        let Some(target) = target else {
            // RFC 3515 2.4.1: exactly one Refer-To, with a URI we can call.
            reply(ctx, &req, 400, "Bad Refer-To", None);
            return;
        };
        if c.phase != Phase::Confirmed || !matches!(c.refer_in, ReferIn::Idle) {
            reply(ctx, &req, 491, "Request Pending", None);
            return;
        }
        let referred_by = req
            .raw(&Name::from(REFERRED_BY))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.contains(['\r', '\n']));
        c.refer_in = ReferIn::Asked(Box::new(req));
        ctx.out.push_back(CallOutput::Event(CallEvent::Referred {
            id,
            target,
            referred_by,
        }));
    }

    /// The engine's decision on their REFER: `202` accepts it (the first NOTIFY, 100 Trying, follows at
    /// once), anything else refuses it with that code (403 during an emergency call).
    pub(crate) fn answer_refer(
        &mut self,
        id: u64,
        code: u16,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), CallError> {
        let c = self.calls.get_mut(&id).ok_or(CallError::NoSuchCall)?;
        let ReferIn::Asked(req) = std::mem::take(&mut c.refer_in) else {
            return Err(CallError::WrongState);
        };
        let accepted = code == 202;
        let phrase = match code {
            202 => "Accepted",
            403 => "Forbidden",
            603 => "Decline",
            _ => super::reason_phrase(code),
        };
        let extra = vec![("Contact".to_owned(), ctx.local.contact())];
        let bytes = crate::sip::message::response(&req, code, phrase, None, &extra, None)
            .ok_or(CallError::BadRequest)?;
        ctx.out.push_back(CallOutput::Send(bytes));
        if accepted {
            c.refer_in = ReferIn::Notifying;
            self.notify_refer(id, 100, "Trying", ctx)?;
        }
        Ok(())
    }

    /// Tells the transferor how the new call goes (`status` 100, 180, 200, or its failure); a final
    /// status ends the subscription.
    pub(crate) fn notify_refer(
        &mut self,
        id: u64,
        status: u16,
        phrase: &str,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), CallError> {
        let c = self.calls.get_mut(&id).ok_or(CallError::NoSuchCall)?;
        if !matches!(c.refer_in, ReferIn::Notifying) || phrase.contains(['\r', '\n']) {
            return Err(CallError::WrongState);
        }
        let state = if status >= 200 {
            c.refer_in = ReferIn::Idle;
            "terminated;reason=noresource".to_owned()
        } else {
            "active;expires=60".to_owned()
        };
        let mut spec = in_dialog(c, "NOTIFY", None);
        spec.contact = true;
        spec.extra = vec![
            ("Event".to_owned(), "refer".to_owned()),
            ("Subscription-State".to_owned(), state),
        ];
        spec.body = Some((
            "message/sipfrag;version=2.0".to_owned(),
            format!("SIP/2.0 {status} {phrase}\r\n").into_bytes(),
        ));
        send_tracked(&spec, id, ctx)?;
        Ok(())
    }
}

/// The package of an `Event` header (`refer;id=5` is `refer`).
fn event_package(v: &str) -> String {
    v.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The status code of a `message/sipfrag` body's first line (`SIP/2.0 180 Ringing`).
pub(super) fn sipfrag_status(body: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(body).ok()?;
    let line = text.lines().next()?;
    let mut words = line.split_whitespace();
    if !words.next()?.eq_ignore_ascii_case("SIP/2.0") {
        return None;
    }
    words
        .next()?
        .parse::<u16>()
        .ok()
        .filter(|c| (100..700).contains(c))
}

/// The URI a `Refer-To` asks us to call, without its header parameters (`?Replaces=...` is attended
/// transfer, not handled here: the URI alone is called). Only `sip:`, `sips:` and `tel:` URIs.
fn refer_target(v: &str) -> Option<String> {
    let v = v.trim();
    let inner = match (v.find('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => &v[a + 1..b],
        _ => v.split(';').next().unwrap_or(v),
    };
    let uri = inner.split('?').next().unwrap_or(inner).trim();
    let lower = uri.to_ascii_lowercase();
    let scheme_ok = ["sip:", "sips:", "tel:"]
        .iter()
        .any(|s| lower.starts_with(s));
    let clean = !uri
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "<>\"".contains(c));
    (scheme_ok && clean && uri.len() > 4).then(|| uri.to_owned())
}

/// The `Refer-To` URI of an attended transfer to the far end of dialog `c`: its address (through the proxy,
/// like any call to it) with the dialog in a `Replaces` header parameter (RFC 3891 3: to-tag is the far
/// end's tag, the one the INVITE's recipient knows as its own; from-tag is ours), escaped for a URI.
fn replacing_target(c: &Call) -> Option<String> {
    let uri = uri_of(&c.remote_party)?;
    let uri = uri.split('?').next().unwrap_or(&uri).to_owned();
    let remote_tag = c.remote_tag.as_deref()?;
    let replaces = format!(
        "{};to-tag={};from-tag={}",
        c.call_id, remote_tag, c.local_tag
    );
    Some(format!("{uri}?Replaces={}", escape_header_value(&replaces)))
}

/// Escapes a URI header value (RFC 3261 25.1 `hvalue`: unreserved and a few marks as they are, the rest
/// %-escaped), so `;`, `=` and `@` of a Replaces value stay inside it.
fn escape_header_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len() * 2);
    for b in v.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-_.!~*'()[]/:+$".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
