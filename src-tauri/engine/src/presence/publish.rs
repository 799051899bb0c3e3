//! Publishing the agent's status on the presence server (RFC 3903 PUBLISH, `Event: presence`), sans-IO.
//!
//! The [`Publisher`] keeps one publication: the state the engine wants seen ([`Publisher::set`]), the
//! entity tag the server gave it (`SIP-ETag`, sent back in `SIP-If-Match`), and when to refresh it (at
//! half its lifetime, a bodyless PUBLISH). One PUBLISH is out at a time; a change made meanwhile goes
//! when the answer comes. A 412 (the server forgot the publication) starts a fresh one; 489/405/501 (a
//! server without presence) turns publishing off for the sign-in; other failures are retried after a
//! back-off. Sign-out removes the publication (`Expires: 0`). Time is an input; the UA (`sip/ua.rs`)
//! writes the requests, answers digest challenges and feeds the answers back.
//!
//! The body is PIDF (RFC 3863) with RPID activities (RFC 4480), written by [`pidf`]. The same machinery
//! publishes the agent's dialogs (`Event: dialog`, RFC 4235, `dialog_info.rs`): the publisher is generic
//! over the document it publishes ([`Published`]).

use std::time::{Duration, Instant};

use crate::api::Presence;

/// Publication lifetime asked for, in seconds (refreshed at half).
pub const PUBLISH_EXPIRES: u32 = 600;
/// Never refresh more often than this.
const MIN_REFRESH: Duration = Duration::from_secs(5);
/// Back-off after a failure the server may get over (timeout, 5xx, 403...).
const RETRY_FIRST: Duration = Duration::from_secs(2);
const RETRY_MAX: Duration = Duration::from_secs(60);

/// A document a [`Publisher`] publishes.
pub trait Published: Clone + PartialEq + std::fmt::Debug {
    /// The event package (`Event:` header) and the body's media type.
    const EVENT: &'static str;
    const CONTENT_TYPE: &'static str;
    /// Sign-out leaves this state on the server (until it expires) rather than removing it.
    fn kept_at_sign_out(&self) -> bool;
    /// The body for `entity` (`sip:user@domain`), the `version`th document of this publication; `tuples`:
    /// the engine's own tuple id and the foreign ones to write over (presence only).
    fn body(&self, entity: &str, version: u32, tuples: &Tuples) -> String;
}

/// The tuple id the engine publishes its presence under, and the foreign tuples it writes over while the
/// status is forced ([`pidf_as`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tuples {
    pub id: String,
    pub overrides: Vec<String>,
}

/// What the watchers are to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresenceDoc {
    pub status: Presence,
    /// The status is forced by the emergency guard (the emergency call, the callback lock, remain).
    pub forced: bool,
    /// A call is in progress (RPID `on-the-phone`).
    pub on_the_phone: bool,
}

impl Published for PresenceDoc {
    const EVENT: &'static str = "presence";
    const CONTENT_TYPE: &'static str = "application/pidf+xml";
    /// A forced status (emergency modes) stays: see [`Publisher::remove`].
    fn kept_at_sign_out(&self) -> bool {
        self.forced
    }
    fn body(&self, entity: &str, _version: u32, tuples: &Tuples) -> String {
        pidf_as(entity, self, &tuples.id, &tuples.overrides)
    }
}

/// One PUBLISH to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishRequest<D = PresenceDoc> {
    pub expires: u32,
    /// The entity tag of the publication this one refreshes, modifies or removes.
    pub if_match: Option<String>,
    /// The state to publish; `None` for a refresh (or a removal).
    pub body: Option<D>,
}

/// What publishing is doing, for the agent (Settings) and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishNews {
    /// The server holds the state (first time, or after being off or failing).
    Published,
    /// The server does not do presence (489/405/501): publishing is off until the next sign-in.
    TurnedOff { code: u16 },
    /// A PUBLISH failed; it is tried again later.
    Failing { code: Option<u16> },
}

/// The server's answer to the PUBLISH in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishAnswer {
    pub code: u16,
    pub etag: Option<String>,
    /// The lifetime granted (`Expires`), or `Min-Expires` with a 423.
    pub expires: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage<D> {
    /// Nothing out.
    Idle,
    /// This request is out.
    Out(PublishRequest<D>),
    /// Failed; try again at this instant.
    Retry(Instant),
    /// The server has no presence: nothing is sent until [`Publisher::reset`].
    Off(u16),
}

#[derive(Debug, Clone)]
pub struct Publisher<D = PresenceDoc> {
    wanted: Option<D>,
    /// What the server holds under `etag`.
    held: Option<D>,
    etag: Option<String>,
    refresh_at: Option<Instant>,
    stage: Stage<D>,
    expires: u32,
    backoff: Duration,
    /// The transport is up and the line registered: requests may go.
    ready: bool,
    failing: bool,
    /// `Published` has been said since the start (or the last failure).
    announced: bool,
    /// The body is to go again once the PUBLISH in flight is answered ([`Publisher::republish`]).
    resend: bool,
}

impl<D: Published> Default for Publisher<D> {
    fn default() -> Self {
        Publisher::new(PUBLISH_EXPIRES)
    }
}

impl<D: Published> Publisher<D> {
    pub fn new(expires: u32) -> Publisher<D> {
        Publisher {
            wanted: None,
            held: None,
            etag: None,
            refresh_at: None,
            stage: Stage::Idle,
            expires,
            backoff: Duration::ZERO,
            ready: false,
            failing: false,
            announced: false,
            resend: false,
        }
    }

    /// The entity tag of the publication the server holds (as far as known).
    pub fn etag(&self) -> Option<&str> {
        self.etag.as_deref()
    }

    /// A publication a previous run left (its entity tag): the first PUBLISH modifies it rather than
    /// adding a second one beside it (a 412 then starts afresh).
    pub fn resume(&mut self, etag: String) {
        if self.etag.is_none() && self.held.is_none() {
            self.etag = Some(etag);
        }
    }

    /// Publishing is off (the server answered 489/405/501), with that code.
    pub fn off(&self) -> Option<u16> {
        match self.stage {
            Stage::Off(code) => Some(code),
            _ => None,
        }
    }

    /// The request in flight, to write again with credentials after a digest challenge.
    pub fn in_flight(&self) -> Option<&PublishRequest<D>> {
        match &self.stage {
            Stage::Out(r) => Some(r),
            _ => None,
        }
    }

    /// The engine wants this state seen.
    pub fn set(&mut self, doc: D, now: Instant) -> Option<PublishRequest<D>> {
        self.wanted = Some(doc);
        self.next(now)
    }

    /// The body is to go again even though the server holds it (what it is written with changed: a
    /// status set elsewhere is to be overridden, see [`pidf_as`]): now, or after the PUBLISH in flight.
    pub fn republish(&mut self, now: Instant) -> Option<PublishRequest<D>> {
        self.held = None;
        if matches!(self.stage, Stage::Out(_)) {
            self.resend = true;
        }
        self.next(now)
    }

    /// The line is registered (again): requests may go; what is wanted and not held goes now.
    pub fn ready(&mut self, now: Instant) -> Option<PublishRequest<D>> {
        self.ready = true;
        self.next(now)
    }

    /// The connection went down: the request in flight is lost (the publication may live on at the
    /// server under its entity tag, which the next PUBLISH names).
    pub fn transport_lost(&mut self) {
        self.ready = false;
        if matches!(self.stage, Stage::Out(_)) {
            // What it carried is not known to be held: send the wanted state again.
            self.held = None;
            self.stage = Stage::Idle;
        }
    }

    /// Sign-out: the removal of the publication, if the server holds one. A forced status (emergency
    /// modes) is not removed: it stays until it expires, and a restarted engine takes it over by its
    /// entity tag, so routing never sees the agent free during the callback lock.
    pub fn remove(&mut self) -> Option<PublishRequest<D>> {
        if self.wanted.as_ref().is_some_and(D::kept_at_sign_out) {
            return None;
        }
        self.wanted = None;
        self.held = None;
        self.refresh_at = None;
        let etag = self.etag.take()?;
        if !self.ready || self.off().is_some() {
            return None;
        }
        let req = PublishRequest {
            expires: 0,
            if_match: Some(etag),
            body: None,
        };
        self.stage = Stage::Out(req.clone());
        Some(req)
    }

    /// A new sign-in: everything forgotten, publishing on again.
    pub fn reset(&mut self) {
        *self = Publisher::new(self.expires);
    }

    pub fn next_timer(&self) -> Option<Instant> {
        match self.stage {
            Stage::Retry(at) => Some(at),
            Stage::Idle if self.ready => self.refresh_at,
            _ => None,
        }
    }

    /// Timers: a refresh or a retry due at `now`.
    pub fn on_timeout(&mut self, now: Instant) -> Option<PublishRequest<D>> {
        if let Stage::Retry(at) = self.stage {
            if at > now {
                return None;
            }
            self.stage = Stage::Idle;
        }
        self.next(now)
    }

    /// The PUBLISH in flight got no final answer in time.
    pub fn on_request_timeout(
        &mut self,
        now: Instant,
    ) -> (Option<PublishRequest<D>>, Option<PublishNews>) {
        if !matches!(self.stage, Stage::Out(_)) {
            return (None, None);
        }
        self.fail(None, now)
    }

    /// The final answer to the PUBLISH in flight (a 401/407 is the UA's business, not this).
    pub fn on_answer(
        &mut self,
        answer: &PublishAnswer,
        now: Instant,
    ) -> (Option<PublishRequest<D>>, Option<PublishNews>) {
        let Stage::Out(req) = std::mem::replace(&mut self.stage, Stage::Idle) else {
            return (None, None);
        };
        match answer.code {
            200..=299 if req.expires == 0 => (None, None),
            200..=299 => {
                self.etag = answer.etag.clone().or(req.if_match.clone());
                if let Some(doc) = req.body {
                    self.held = Some(doc);
                }
                if std::mem::take(&mut self.resend) {
                    self.held = None;
                }
                let granted = answer.expires.unwrap_or(req.expires).max(1);
                self.refresh_at =
                    Some(now + Duration::from_secs(u64::from(granted) / 2).max(MIN_REFRESH));
                self.backoff = Duration::ZERO;
                let recovered = std::mem::take(&mut self.failing);
                let first = !std::mem::replace(&mut self.announced, true);
                (
                    self.next(now),
                    (first || recovered).then_some(PublishNews::Published),
                )
            }
            412 => {
                // The server no longer knows the entity tag: publish afresh.
                self.etag = None;
                self.held = None;
                (self.next(now), None)
            }
            423 => {
                match answer.expires {
                    Some(min) if min > self.expires && min <= 86_400 => self.expires = min,
                    _ => return self.fail(Some(423), now),
                }
                (self.next(now), None)
            }
            405 | 489 | 501 => {
                self.stage = Stage::Off(answer.code);
                self.etag = None;
                self.held = None;
                self.refresh_at = None;
                (None, Some(PublishNews::TurnedOff { code: answer.code }))
            }
            code => self.fail(Some(code), now),
        }
    }

    fn fail(
        &mut self,
        code: Option<u16>,
        now: Instant,
    ) -> (Option<PublishRequest<D>>, Option<PublishNews>) {
        if matches!(self.stage, Stage::Off(_)) {
            return (None, None);
        }
        self.backoff = if self.backoff.is_zero() {
            RETRY_FIRST
        } else {
            (self.backoff * 2).min(RETRY_MAX)
        };
        self.held = None;
        self.stage = Stage::Retry(now + self.backoff);
        let first = !std::mem::replace(&mut self.failing, true);
        (None, first.then_some(PublishNews::Failing { code }))
    }

    /// What to send now, if anything: the wanted state if the server does not hold it, else a refresh
    /// when due.
    fn next(&mut self, now: Instant) -> Option<PublishRequest<D>> {
        if !self.ready || self.stage != Stage::Idle {
            return None;
        }
        let wanted = self.wanted.clone()?;
        let req = if self.held.as_ref() != Some(&wanted) {
            PublishRequest {
                expires: self.expires,
                if_match: self.etag.clone(),
                body: Some(wanted),
            }
        } else if self.refresh_at.is_some_and(|at| at <= now) {
            PublishRequest {
                expires: self.expires,
                if_match: self.etag.clone(),
                body: None,
            }
        } else {
            return None;
        };
        self.stage = Stage::Out(req.clone());
        Some(req)
    }
}

/// The words a watcher's note shows for a status.
fn status_words(status: Presence) -> &'static str {
    match status {
        Presence::Available => "Available",
        Presence::Busy => "Busy",
        Presence::DoNotDisturb => "Do not disturb",
        Presence::Away => "Away",
        Presence::WorkingOffline => "Working offline",
    }
}

/// The note that says a status is forced (RPID class `lifeline-emergency-forced` says it to programs).
pub const FORCED_NOTE: &str =
    "Status forced by Lifeline during an emergency call and the emergency services' callback window";

/// The PIDF document (RFC 3863, RPID of RFC 4480) for `entity` (`sip:user@domain`), under the tuple id
/// `lifeline` (see [`pidf_as`]).
pub fn pidf(entity: &str, doc: &PresenceDoc) -> String {
    pidf_as(entity, doc, "lifeline", &[])
}

/// The PIDF document (RFC 3863, RPID of RFC 4480) for `entity` (`sip:user@domain`): one tuple `tuple_id`,
/// one person `<tuple_id>-agent`.
///
/// `basic` is `closed` for do-not-disturb and working offline (no routed calls), `open` otherwise;
/// activities: `busy` (busy, do-not-disturb), `away`, `on-the-phone` during a call.
///
/// Overrides: while the status is forced, each tuple id in `overrides` (tuples published elsewhere for the
/// same address, `seen.rs`) is written too, with the forced status and the RPID class
/// `<tuple_id>-override`. A server that composes publications by tuple id with the newest winning (Kamailio's
/// presence_xml leaves out a document whose first tuple id the base document has; the lab orders the
/// newest publication as the base, see README) then shows watchers the forced status only.
pub fn pidf_as(entity: &str, doc: &PresenceDoc, tuple_id: &str, overrides: &[String]) -> String {
    let basic = match doc.status {
        Presence::DoNotDisturb | Presence::WorkingOffline => "closed",
        _ => "open",
    };
    let mut activities = String::new();
    match doc.status {
        Presence::Busy | Presence::DoNotDisturb => activities.push_str("<rpid:busy/>"),
        Presence::Away => activities.push_str("<rpid:away/>"),
        Presence::Available | Presence::WorkingOffline => {}
    }
    if doc.on_the_phone {
        activities.push_str("<rpid:on-the-phone/>");
    }
    let mut person = String::new();
    if !activities.is_empty() {
        person.push_str(&format!("<rpid:activities>{activities}</rpid:activities>"));
    }
    if doc.forced {
        person.push_str("<rpid:class>lifeline-emergency-forced</rpid:class>");
    }
    person.push_str(&format!("<dm:note>{}</dm:note>", status_words(doc.status)));
    if doc.forced {
        person.push_str(&format!("<dm:note>{FORCED_NOTE}</dm:note>"));
    }
    let words = status_words(doc.status);
    let mut copies = String::new();
    if doc.forced {
        for id in overrides.iter().filter(|id| id.as_str() != tuple_id) {
            copies.push_str(&format!(
                "<tuple id=\"{}\"><status><basic>{basic}</basic></status>\
                 <rpid:class>{}-override</rpid:class><note>{words}</note></tuple>\r\n",
                xml_escape(id),
                xml_escape(tuple_id),
            ));
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
         <presence xmlns=\"urn:ietf:params:xml:ns:pidf\" \
         xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" \
         xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"{}\">\r\n\
         <tuple id=\"{id}\"><status><basic>{basic}</basic></status>\
         <contact>{}</contact><note>{words}</note></tuple>\r\n\
         {copies}<dm:person id=\"{id}-agent\">{person}</dm:person>\r\n\
         </presence>\r\n",
        xml_escape(entity),
        xml_escape(entity),
        id = xml_escape(tuple_id),
    )
}

pub(crate) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
#[path = "publish_tests.rs"]
mod tests;
