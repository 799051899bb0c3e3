//! Watching the agent's own presentity (RFC 6665 SUBSCRIBE, RFC 3856 `Event: presence`), sans-IO, so a
//! status set elsewhere (another device of the agent, the contact center's web app) reaches the engine.
//!
//! The [`Subscriber`] keeps one subscription. It starts once the line is registered, and is renewed at half
//! its lifetime by a new subscription (a new Call-ID, out of any dialog): the NOTIFYs of the one it
//! replaces are answered 481, which ends that one at the server (RFC 6665 4.1.3), so no route set has to
//! be kept. A NOTIFY saying `terminated`, a failure or a timeout subscribes again after a back-off;
//! 489/405/501 (a server without presence) turns watching off for the sign-in. Time is an input; the UA
//! (`sip/ua.rs`) writes the requests, answers digest challenges and NOTIFYs, and reads their bodies
//! (`seen.rs`).

use std::time::{Duration, Instant};

/// Subscription lifetime asked for, in seconds (renewed at half).
pub const SUBSCRIBE_EXPIRES: u32 = 600;
const MIN_RENEW: Duration = Duration::from_secs(5);
const RETRY_FIRST: Duration = Duration::from_secs(2);
const RETRY_MAX: Duration = Duration::from_secs(60);

/// One SUBSCRIBE to write: a new subscription under `call_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeRequest {
    pub call_id: String,
    pub expires: u32,
}

/// What to answer a NOTIFY with `Event: presence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyVerdict {
    /// Ours: 200, and read its body.
    Ours,
    /// Not (or no longer) ours: 481, which ends that subscription at the server.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    /// Not started (not asked to watch, or not registered yet).
    Idle,
    /// This subscription's SUBSCRIBE is out.
    Out(SubscribeRequest),
    /// Subscribed; renew at this instant.
    Active {
        call_id: String,
        renew_at: Instant,
    },
    Retry(Instant),
    /// The server has no presence: nothing until [`Subscriber::reset`].
    Off(u16),
}

#[derive(Debug, Clone)]
pub struct Subscriber {
    seed: String,
    count: u64,
    stage: Stage,
    enabled: bool,
    ready: bool,
    backoff: Duration,
}

impl Subscriber {
    /// `seed`: a random token the Call-IDs are made from.
    pub fn new(seed: String) -> Subscriber {
        Subscriber {
            seed,
            count: 0,
            stage: Stage::Idle,
            enabled: false,
            ready: false,
            backoff: Duration::ZERO,
        }
    }

    /// Watching is wanted (the engine asked): starts when the line is registered.
    pub fn enable(&mut self, now: Instant) -> Option<SubscribeRequest> {
        self.enabled = true;
        self.next(now)
    }

    /// The line is registered (again).
    pub fn ready(&mut self, now: Instant) -> Option<SubscribeRequest> {
        self.ready = true;
        self.next(now)
    }

    /// The connection went down: the server drops a subscription whose NOTIFYs fail; start afresh.
    pub fn transport_lost(&mut self) {
        self.ready = false;
        if matches!(self.stage, Stage::Out(_) | Stage::Active { .. }) {
            self.stage = Stage::Idle;
        }
    }

    /// Watching is off (the server answered 489/405/501), with that code.
    pub fn off(&self) -> Option<u16> {
        match self.stage {
            Stage::Off(code) => Some(code),
            _ => None,
        }
    }

    /// The SUBSCRIBE in flight, to write again with credentials after a digest challenge.
    pub fn in_flight(&self) -> Option<&SubscribeRequest> {
        match &self.stage {
            Stage::Out(r) => Some(r),
            _ => None,
        }
    }

    /// The subscription whose NOTIFYs are read now.
    pub fn current(&self) -> Option<&str> {
        match &self.stage {
            Stage::Out(r) => Some(&r.call_id),
            Stage::Active { call_id, .. } => Some(call_id),
            _ => None,
        }
    }

    pub fn next_timer(&self) -> Option<Instant> {
        match self.stage {
            Stage::Retry(at) => Some(at),
            Stage::Active { renew_at, .. } if self.ready => Some(renew_at),
            _ => None,
        }
    }

    /// Renewal or retry due at `now`.
    pub fn on_timeout(&mut self, now: Instant) -> Option<SubscribeRequest> {
        match self.stage {
            Stage::Retry(at) | Stage::Active { renew_at: at, .. } if at <= now => {
                self.stage = Stage::Idle;
                self.next(now)
            }
            _ => None,
        }
    }

    /// The SUBSCRIBE in flight got no final answer in time.
    pub fn on_request_timeout(&mut self, now: Instant) {
        if matches!(self.stage, Stage::Out(_)) {
            self.fail(now);
        }
    }

    /// The final answer to the SUBSCRIBE in flight (not a 401/407: the UA's). Returns the code when
    /// watching turns off (for the one log line).
    pub fn on_answer(&mut self, code: u16, expires: Option<u32>, now: Instant) -> Option<u16> {
        let Stage::Out(req) = std::mem::replace(&mut self.stage, Stage::Idle) else {
            return None;
        };
        match code {
            200..=299 => {
                let granted = expires.unwrap_or(req.expires);
                if granted == 0 {
                    self.fail(now);
                    return None;
                }
                self.backoff = Duration::ZERO;
                self.stage = Stage::Active {
                    call_id: req.call_id,
                    renew_at: now + Duration::from_secs(u64::from(granted) / 2).max(MIN_RENEW),
                };
                None
            }
            405 | 489 | 501 => {
                self.stage = Stage::Off(code);
                Some(code)
            }
            _ => {
                self.stage = Stage::Out(req);
                self.fail(now);
                None
            }
        }
    }

    /// A NOTIFY (`Event: presence`) for `call_id`; `terminated`: its Subscription-State says so.
    pub fn on_notify(&mut self, call_id: &str, terminated: bool, now: Instant) -> NotifyVerdict {
        if self.current() != Some(call_id) {
            return NotifyVerdict::Unknown;
        }
        if terminated {
            self.stage = Stage::Idle;
            self.fail(now);
        }
        NotifyVerdict::Ours
    }

    /// A new sign-in: everything forgotten.
    pub fn reset(&mut self) {
        *self = Subscriber::new(std::mem::take(&mut self.seed));
    }

    fn fail(&mut self, now: Instant) {
        self.backoff = if self.backoff.is_zero() {
            RETRY_FIRST
        } else {
            (self.backoff * 2).min(RETRY_MAX)
        };
        self.stage = Stage::Retry(now + self.backoff);
    }

    fn next(&mut self, _now: Instant) -> Option<SubscribeRequest> {
        if !self.enabled || !self.ready || self.stage != Stage::Idle {
            return None;
        }
        self.count += 1;
        let req = SubscribeRequest {
            call_id: format!("{}-{}", self.seed, self.count),
            expires: SUBSCRIBE_EXPIRES,
        };
        self.stage = Stage::Out(req.clone());
        Some(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64, t0: Instant) -> Instant {
        t0 + Duration::from_secs(secs)
    }

    #[test]
    fn it_subscribes_once_enabled_and_registered_and_renews_with_a_new_subscription_at_half() {
        let t0 = Instant::now();
        let mut s = Subscriber::new("x".into());
        assert_eq!(s.ready(t0), None, "not asked to watch yet");
        let first = s.enable(t0).expect("subscribes");
        assert_eq!(s.on_answer(200, Some(600), t0), None);
        assert_eq!(s.on_notify(&first.call_id, false, t0), NotifyVerdict::Ours);
        assert_eq!(s.next_timer(), Some(at(300, t0)));
        assert_eq!(s.on_timeout(at(299, t0)), None);
        let second = s.on_timeout(at(300, t0)).expect("renews");
        assert_ne!(second.call_id, first.call_id);
        // The old subscription's NOTIFYs are refused: that ends it at the server.
        assert_eq!(
            s.on_notify(&first.call_id, false, at(300, t0)),
            NotifyVerdict::Unknown
        );
        assert_eq!(
            s.on_notify(&second.call_id, false, at(300, t0)),
            NotifyVerdict::Ours
        );
    }

    #[test]
    fn a_server_without_presence_turns_watching_off_until_the_next_sign_in() {
        let t0 = Instant::now();
        let mut s = Subscriber::new("x".into());
        s.ready(t0);
        s.enable(t0).expect("subscribes");
        assert_eq!(s.on_answer(489, None, t0), Some(489));
        assert_eq!(s.off(), Some(489));
        assert_eq!(s.next_timer(), None);
        s.transport_lost();
        assert_eq!(s.ready(at(10, t0)), None, "stays off");
        s.reset();
        s.enable(t0);
        assert!(s.ready(t0).is_some(), "a new sign-in watches again");
    }

    #[test]
    fn failures_and_a_terminated_subscription_are_retried_after_a_back_off() {
        let t0 = Instant::now();
        let mut s = Subscriber::new("x".into());
        s.ready(t0);
        let a = s.enable(t0).expect("subscribes");
        assert_eq!(s.on_answer(500, None, t0), None);
        assert_eq!(s.next_timer(), Some(at(2, t0)));
        let b = s.on_timeout(at(2, t0)).expect("again");
        s.on_request_timeout(at(34, t0));
        assert_eq!(s.next_timer(), Some(at(38, t0)), "the back-off doubles");
        let c = s.on_timeout(at(38, t0)).expect("again");
        s.on_answer(202, Some(600), at(38, t0));
        assert_eq!(
            s.on_notify(&c.call_id, true, at(40, t0)),
            NotifyVerdict::Ours
        );
        assert_eq!(s.next_timer(), Some(at(42, t0)));
        assert!(s.on_timeout(at(42, t0)).is_some());
        assert_ne!(a.call_id, b.call_id);
    }
}
