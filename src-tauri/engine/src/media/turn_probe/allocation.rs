//! [`AllocationProbe`]: one TURN Allocate as webrtc's client makes it, sans-IO (`handle_input`,
//! `handle_timeout(now)`, `poll_transmit`, `poll_timeout`), ending in an [`Outcome`].
//!
//! ```text
//!  Challenge ──401 + REALM, NONCE──> Authenticate ──success──> Release ──any answer or 1 s──> done
//!      │ success (no auth): Allocated, Release        │ 401, 441: CredentialsRefused
//!      │ other error: Refused                         │ 438 (once): Authenticate again, new NONCE
//!      └ budget over: NoAnswer                        │ other error (or a 2nd 438): Refused
//!                                                     └ budget over: NoAnswer
//! ```
//! Properties (unit-tested in `allocation_tests`):
//! - the outcome is decided once and never changes; once decided the probe only frees the allocation;
//! - a request is sent again after 500 ms, then 1 s, 2 s... (RFC 5389 §7.2.1) until the budget is spent;
//! - only answers with the pending request's transaction id and method count; anything else is ignored;
//! - the password only ever enters the MESSAGE-INTEGRITY key (MD5 of `username:realm:password`).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtc::crypto::RTCCryptoProvider;
use rtc::stun::attributes::{ATTR_NONCE, ATTR_REALM, ATTR_USERNAME};
use rtc::stun::error_code::{
    ErrorCodeAttribute, CODE_STALE_NONCE, CODE_UNAUTHORIZED, CODE_WRONG_CREDENTIALS,
};
use rtc::stun::fingerprint::FINGERPRINT;
use rtc::stun::integrity::MessageIntegrity;
use rtc::stun::message::{
    is_stun_message, Getter, Message, MessageType, Method, Setter, TransactionId,
    CLASS_ERROR_RESPONSE, CLASS_REQUEST, CLASS_SUCCESS_RESPONSE, METHOD_ALLOCATE, METHOD_REFRESH,
};
use rtc::stun::textattrs::TextAttribute;
use rtc::turn::proto::lifetime::Lifetime;
use rtc::turn::proto::reqtrans::RequestedTransport;
use rtc::turn::proto::PROTO_UDP;

/// The first retransmission timeout (RFC 5389 §7.2.1); it doubles after each retransmission.
pub const INITIAL_RTO: Duration = Duration::from_millis(500);
/// How long freeing the allocation is waited for: it only spares the server an allocation for 10 minutes.
pub const RELEASE_WAIT: Duration = Duration::from_secs(1);

/// What the TURN server made of the Allocate request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It allocated a relay (which the probe then frees).
    Allocated,
    /// 401 to the authenticated request, or 441 Wrong Credentials: the username or password is wrong.
    CredentialsRefused { code: u16 },
    /// Any other error response, with the server's reason phrase.
    Refused { code: u16, reason: String },
    /// No answer within the budget, retransmissions included.
    NoAnswer,
    /// The server's answer (or our request) could not be used, e.g. a 401 without REALM or NONCE.
    Unusable { reason: String },
}

/// Long-term credentials (RFC 5389 §10.2). `Debug` hides the password.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

/// The server's challenge: what an authenticated request must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Challenge {
    realm: String,
    nonce: String,
}

/// Which request is pending.
#[derive(Debug, Clone)]
enum Step {
    /// The first Allocate, without credentials: the server answers with its challenge.
    Challenge,
    /// The Allocate with MESSAGE-INTEGRITY; `stale_retried` once a 438 has been answered.
    Authenticate {
        challenge: Challenge,
        stale_retried: bool,
    },
    /// Refresh with LIFETIME 0: frees the allocation (authenticated when the Allocate was).
    Release {
        challenge: Option<Challenge>,
        stale_retried: bool,
    },
}

impl Step {
    fn method(&self) -> Method {
        match self {
            Step::Challenge | Step::Authenticate { .. } => METHOD_ALLOCATE,
            Step::Release { .. } => METHOD_REFRESH,
        }
    }

    fn challenge(&self) -> Option<&Challenge> {
        match self {
            Step::Challenge => None,
            Step::Authenticate { challenge, .. } => Some(challenge),
            Step::Release { challenge, .. } => challenge.as_ref(),
        }
    }
}

/// The request in flight and its retransmission timer.
struct Pending {
    step: Step,
    id: TransactionId,
    bytes: Vec<u8>,
    resend_at: Instant,
    rto: Duration,
    give_up_at: Instant,
}

/// One Allocate probe. See the module documentation.
pub struct AllocationProbe {
    credentials: Credentials,
    crypto: Arc<dyn RTCCryptoProvider>,
    /// When the Allocate (challenge and authentication together) counts as unanswered.
    deadline: Instant,
    pending: Option<Pending>,
    outcome: Option<Outcome>,
    transmit: VecDeque<Vec<u8>>,
}

impl AllocationProbe {
    /// Starts the probe: the first Allocate is ready in [`AllocationProbe::poll_transmit`]. `budget` is how
    /// long the server has to decide (challenge and authenticated request together).
    pub fn new(
        credentials: Credentials,
        crypto: Arc<dyn RTCCryptoProvider>,
        now: Instant,
        budget: Duration,
    ) -> AllocationProbe {
        let mut probe = AllocationProbe {
            credentials,
            crypto,
            deadline: now + budget,
            pending: None,
            outcome: None,
            transmit: VecDeque::new(),
        };
        probe.send(Step::Challenge, now, probe.deadline);
        probe
    }

    /// The outcome, as soon as it is known (the allocation may still be being freed).
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// Nothing more to send or wait for.
    pub fn is_finished(&self) -> bool {
        self.pending.is_none()
    }

    /// The next datagram to send to the server.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    /// When [`AllocationProbe::handle_timeout`] wants to be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending.as_ref().map(|p| p.resend_at.min(p.give_up_at))
    }

    /// Retransmits, or gives up, as the clock says.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(pending) = self.pending.as_mut() else {
            return;
        };
        if now >= pending.give_up_at {
            self.pending = None;
            self.decide(Outcome::NoAnswer);
        } else if now >= pending.resend_at {
            self.transmit.push_back(pending.bytes.clone());
            pending.rto *= 2;
            pending.resend_at = now + pending.rto;
        }
    }

    /// A datagram from the server. Anything but the answer to the pending request is ignored.
    pub fn handle_input(&mut self, datagram: &[u8], now: Instant) {
        if !is_stun_message(datagram) {
            return;
        }
        let mut answer = Message::new();
        if answer.unmarshal_binary(datagram).is_err() {
            return;
        }
        let Some(pending) = self.pending.take_if(|p| {
            answer.transaction_id == p.id
                && answer.typ.method == p.step.method()
                && (answer.typ.class == CLASS_SUCCESS_RESPONSE
                    || answer.typ.class == CLASS_ERROR_RESPONSE)
        }) else {
            return;
        };
        if answer.typ.class == CLASS_SUCCESS_RESPONSE {
            self.on_success(pending.step, now);
        } else {
            self.on_error(pending.step, &answer, now);
        }
    }

    fn on_success(&mut self, step: Step, now: Instant) {
        let challenge = match step {
            Step::Release { .. } => return, // freed: done
            Step::Challenge => None,        // a server without authentication
            Step::Authenticate { challenge, .. } => Some(challenge),
        };
        self.decide(Outcome::Allocated);
        let release = Step::Release {
            challenge,
            stale_retried: false,
        };
        self.send(release, now, now + RELEASE_WAIT);
    }

    fn on_error(&mut self, step: Step, answer: &Message, now: Instant) {
        let mut error = ErrorCodeAttribute::default();
        if error.get_from(answer).is_err() {
            self.decide(Outcome::Unusable {
                reason: format!("its {} has no ERROR-CODE", answer.typ),
            });
            return;
        }
        let code = error.code.0;
        let reason = String::from_utf8_lossy(&error.reason).trim().to_owned();
        match step {
            Step::Challenge if error.code == CODE_UNAUTHORIZED => match challenge_in(answer) {
                Some(challenge) => {
                    let authenticate = Step::Authenticate {
                        challenge,
                        stale_retried: false,
                    };
                    self.send(authenticate, now, self.deadline);
                }
                None => self.decide(Outcome::Unusable {
                    reason: "its 401 challenge has no REALM or NONCE".to_owned(),
                }),
            },
            Step::Authenticate { .. }
                if error.code == CODE_UNAUTHORIZED || error.code == CODE_WRONG_CREDENTIALS =>
            {
                self.decide(Outcome::CredentialsRefused { code })
            }
            Step::Authenticate {
                challenge,
                stale_retried: false,
            } if error.code == CODE_STALE_NONCE => {
                let challenge = renewed(challenge, answer);
                let again = Step::Authenticate {
                    challenge,
                    stale_retried: true,
                };
                self.send(again, now, self.deadline);
            }
            Step::Release {
                challenge: Some(challenge),
                stale_retried: false,
            } if error.code == CODE_STALE_NONCE => {
                let again = Step::Release {
                    challenge: Some(renewed(challenge, answer)),
                    stale_retried: true,
                };
                self.send(again, now, now + RELEASE_WAIT);
            }
            Step::Release { .. } => {} // not freed: it expires on the server by itself
            Step::Challenge | Step::Authenticate { .. } => {
                self.decide(Outcome::Refused { code, reason })
            }
        }
    }

    /// The first outcome stands.
    fn decide(&mut self, outcome: Outcome) {
        if self.outcome.is_none() {
            self.outcome = Some(outcome);
        }
    }

    fn send(&mut self, step: Step, now: Instant, give_up_at: Instant) {
        let id = TransactionId::new();
        match self.encode(&step, id) {
            Ok(bytes) => {
                self.transmit.push_back(bytes.clone());
                self.pending = Some(Pending {
                    step,
                    id,
                    bytes,
                    resend_at: now + INITIAL_RTO,
                    rto: INITIAL_RTO,
                    give_up_at,
                });
            }
            Err(reason) => {
                self.pending = None;
                self.decide(Outcome::Unusable { reason });
            }
        }
    }

    fn encode(&self, step: &Step, id: TransactionId) -> Result<Vec<u8>, String> {
        let mut setters: Vec<Box<dyn Setter + '_>> = vec![
            Box::new(id),
            Box::new(MessageType::new(step.method(), CLASS_REQUEST)),
        ];
        match step {
            Step::Challenge | Step::Authenticate { .. } => {
                // What the relay carries (always UDP for WebRTC), not how the server is reached.
                setters.push(Box::new(RequestedTransport {
                    protocol: PROTO_UDP,
                }));
            }
            Step::Release { .. } => setters.push(Box::new(Lifetime(Duration::ZERO))),
        }
        if let Some(challenge) = step.challenge() {
            let integrity = MessageIntegrity::new_long_term_integrity_with_provider(
                self.credentials.username.clone(),
                challenge.realm.clone(),
                self.credentials.password.clone(),
                self.crypto.crypto(),
            )
            .map_err(|e| format!("the credentials cannot be used: {e}"))?;
            let text = |attr, text: &str| TextAttribute::new(attr, text.to_owned());
            setters.push(Box::new(text(ATTR_USERNAME, &self.credentials.username)));
            setters.push(Box::new(text(ATTR_REALM, &challenge.realm)));
            setters.push(Box::new(text(ATTR_NONCE, &challenge.nonce)));
            setters.push(Box::new(integrity));
        }
        setters.push(Box::new(FINGERPRINT));
        let mut message = Message::new();
        message
            .build(&setters)
            .map_err(|e| format!("the request cannot be built: {e}"))?;
        Ok(message.raw)
    }
}

/// REALM and NONCE of a 401 challenge.
fn challenge_in(answer: &Message) -> Option<Challenge> {
    let realm = TextAttribute::get_from_as(answer, ATTR_REALM).ok()?;
    let nonce = TextAttribute::get_from_as(answer, ATTR_NONCE).ok()?;
    Some(Challenge {
        realm: realm.text,
        nonce: nonce.text,
    })
}

/// A 438 Stale Nonce carries the new NONCE (and may carry the REALM again).
fn renewed(old: Challenge, answer: &Message) -> Challenge {
    let text = |attr| {
        TextAttribute::get_from_as(answer, attr)
            .ok()
            .map(|t| t.text)
    };
    Challenge {
        realm: text(ATTR_REALM).unwrap_or(old.realm),
        nonce: text(ATTR_NONCE).unwrap_or(old.nonce),
    }
}
