//! The Allocate probe against a scripted server, time given as input: what it sends, how it reads each
//! answer, when it retransmits and gives up.

use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use rtc::crypto::RTCCryptoProvider;
use rtc::stun::attributes::{
    ATTR_LIFETIME, ATTR_MESSAGE_INTEGRITY, ATTR_NONCE, ATTR_REALM, ATTR_REQUESTED_TRANSPORT,
    ATTR_USERNAME,
};
use rtc::stun::error_code::{ErrorCode, ErrorCodeAttribute};
use rtc::stun::fingerprint::FINGERPRINT;
use rtc::stun::integrity::MessageIntegrity;
use rtc::stun::message::{
    Message, MessageClass, MessageType, Setter, TransactionId, CLASS_ERROR_RESPONSE,
    CLASS_SUCCESS_RESPONSE, METHOD_ALLOCATE, METHOD_REFRESH,
};
use rtc::stun::textattrs::TextAttribute;

use super::allocation::{INITIAL_RTO, RELEASE_WAIT};
use super::{AllocationProbe, Credentials, Outcome};

const BUDGET: Duration = Duration::from_secs(3);
const PASSWORD: &str = "s3cret-pw";

fn crypto() -> Arc<dyn RTCCryptoProvider> {
    rtc::crypto::default_provider().expect("the ring provider")
}

fn probe(now: Instant) -> AllocationProbe {
    let credentials = Credentials {
        username: "agent7".into(),
        password: PASSWORD.into(),
    };
    AllocationProbe::new(credentials, crypto(), now, BUDGET)
}

fn parse(bytes: &[u8]) -> Message {
    let mut m = Message::new();
    m.unmarshal_binary(bytes).expect("a STUN message");
    m
}

/// The next request the probe sends, parsed.
fn sent(p: &mut AllocationProbe) -> Message {
    parse(&p.poll_transmit().expect("a request to send"))
}

fn text(m: &Message, attr: rtc::stun::attributes::AttrType) -> Option<String> {
    TextAttribute::get_from_as(m, attr).ok().map(|t| t.text)
}

fn reply(request: &Message, class: MessageClass, attrs: Vec<Box<dyn Setter>>) -> Vec<u8> {
    let mut setters: Vec<Box<dyn Setter>> = vec![
        Box::new(request.transaction_id),
        Box::new(MessageType::new(request.typ.method, class)),
    ];
    setters.extend(attrs);
    let mut m = Message::new();
    m.build(&setters).expect("a reply");
    m.raw
}

fn error(code: u16, reason: &str) -> Box<dyn Setter> {
    Box::new(ErrorCodeAttribute {
        code: ErrorCode(code),
        reason: reason.as_bytes().to_vec(),
    })
}

fn attr(attr: rtc::stun::attributes::AttrType, value: &str) -> Box<dyn Setter> {
    Box::new(TextAttribute::new(attr, value.to_owned()))
}

/// 401 with REALM "lab" and NONCE `nonce`.
fn challenge(request: &Message, nonce: &str) -> Vec<u8> {
    reply(
        request,
        CLASS_ERROR_RESPONSE,
        vec![
            error(401, "Unauthorized"),
            attr(ATTR_REALM, "lab"),
            attr(ATTR_NONCE, nonce),
        ],
    )
}

/// Past the challenge: returns the authenticated Allocate.
fn authenticating(p: &mut AllocationProbe, now: Instant) -> Message {
    let first = sent(p);
    p.handle_input(&challenge(&first, "n1"), now);
    sent(p)
}

fn integrity_ok(m: &Message, realm: &str) -> bool {
    let c = crypto();
    let key = MessageIntegrity::long_term_integrity_key(
        "agent7".into(),
        realm.into(),
        PASSWORD.into(),
        c.crypto(),
    )
    .expect("key");
    let mut m = m.clone();
    MessageIntegrity::check(&mut m, &key, c.crypto()).is_ok()
}

#[test]
fn the_challenge_is_answered_with_an_allocate_signed_with_the_long_term_key() {
    let now = Instant::now();
    let mut p = probe(now);
    let first = sent(&mut p);
    assert_eq!(
        first.typ,
        MessageType::new(METHOD_ALLOCATE, rtc::stun::message::CLASS_REQUEST)
    );
    assert!(first.contains(ATTR_REQUESTED_TRANSPORT));
    assert!(!first.contains(ATTR_USERNAME) && !first.contains(ATTR_MESSAGE_INTEGRITY));
    assert!(FINGERPRINT.check(&first).is_ok());

    p.handle_input(&challenge(&first, "n1"), now);
    let second = sent(&mut p);
    assert_eq!(second.typ.method, METHOD_ALLOCATE);
    assert_ne!(second.transaction_id, first.transaction_id);
    assert_eq!(text(&second, ATTR_USERNAME).as_deref(), Some("agent7"));
    assert_eq!(text(&second, ATTR_REALM).as_deref(), Some("lab"));
    assert_eq!(text(&second, ATTR_NONCE).as_deref(), Some("n1"));
    assert!(second.contains(ATTR_REQUESTED_TRANSPORT));
    assert!(
        integrity_ok(&second, "lab"),
        "MESSAGE-INTEGRITY keyed with MD5(agent7:lab:password)"
    );
    assert!(FINGERPRINT.check(&second).is_ok());
    let raw = String::from_utf8_lossy(&second.raw).into_owned();
    assert!(
        !raw.contains(PASSWORD),
        "the password never goes on the wire"
    );
    assert_eq!(p.outcome(), None);
}

#[test]
fn a_401_after_authenticating_means_the_credentials_are_refused() {
    let now = Instant::now();
    let mut p = probe(now);
    let auth = authenticating(&mut p, now);
    p.handle_input(&challenge(&auth, "n2"), now);
    assert_eq!(
        p.outcome(),
        Some(&Outcome::CredentialsRefused { code: 401 })
    );
    assert!(p.is_finished() && p.poll_transmit().is_none());
}

#[test]
fn wrong_credentials_441_is_a_refusal_of_the_credentials_too() {
    let now = Instant::now();
    let mut p = probe(now);
    let auth = authenticating(&mut p, now);
    p.handle_input(
        &reply(
            &auth,
            CLASS_ERROR_RESPONSE,
            vec![error(441, "Wrong Credentials")],
        ),
        now,
    );
    assert_eq!(
        p.outcome(),
        Some(&Outcome::CredentialsRefused { code: 441 })
    );
}

#[test]
fn a_stale_nonce_is_retried_once_with_the_new_nonce_and_a_second_one_is_a_refusal() {
    let now = Instant::now();
    let mut p = probe(now);
    let auth = authenticating(&mut p, now);
    let stale = |m: &Message, nonce: &str| {
        reply(
            m,
            CLASS_ERROR_RESPONSE,
            vec![
                error(438, "Stale Nonce"),
                attr(ATTR_REALM, "lab"),
                attr(ATTR_NONCE, nonce),
            ],
        )
    };
    p.handle_input(&stale(&auth, "n2"), now);
    let again = sent(&mut p);
    assert_eq!(text(&again, ATTR_NONCE).as_deref(), Some("n2"));
    assert_ne!(again.transaction_id, auth.transaction_id);
    assert!(integrity_ok(&again, "lab"));
    assert_eq!(p.outcome(), None);
    p.handle_input(&stale(&again, "n3"), now);
    assert_eq!(
        p.outcome(),
        Some(&Outcome::Refused {
            code: 438,
            reason: "Stale Nonce".into()
        })
    );
    assert!(p.is_finished());
}

#[test]
fn other_error_codes_are_refusals_with_the_servers_reason_before_or_after_authenticating() {
    for (code, reason) in [
        (403, "Forbidden"),
        (437, "Allocation Mismatch"),
        (486, "Allocation Quota Reached"),
        (508, "Insufficient Capacity"),
    ] {
        for authenticated in [false, true] {
            let now = Instant::now();
            let mut p = probe(now);
            let request = match authenticated {
                false => sent(&mut p),
                true => authenticating(&mut p, now),
            };
            let refusal = reply(&request, CLASS_ERROR_RESPONSE, vec![error(code, reason)]);
            p.handle_input(&refusal, now);
            let expected = Outcome::Refused {
                code,
                reason: reason.into(),
            };
            assert_eq!(
                p.outcome(),
                Some(&expected),
                "authenticated: {authenticated}"
            );
            assert!(p.is_finished());
        }
    }
}

#[test]
fn a_challenge_without_a_nonce_cannot_be_answered() {
    let now = Instant::now();
    let mut p = probe(now);
    let first = sent(&mut p);
    p.handle_input(
        &reply(
            &first,
            CLASS_ERROR_RESPONSE,
            vec![error(401, "Unauthorized"), attr(ATTR_REALM, "lab")],
        ),
        now,
    );
    assert!(matches!(p.outcome(), Some(Outcome::Unusable { reason }) if reason.contains("NONCE")));
}

#[test]
fn an_allocation_is_freed_at_once_with_a_signed_refresh_of_lifetime_zero() {
    let now = Instant::now();
    let mut p = probe(now);
    let auth = authenticating(&mut p, now);
    p.handle_input(&reply(&auth, CLASS_SUCCESS_RESPONSE, vec![]), now);
    assert_eq!(p.outcome(), Some(&Outcome::Allocated));
    let release = sent(&mut p);
    assert_eq!(release.typ.method, METHOD_REFRESH);
    assert_eq!(release.get(ATTR_LIFETIME).ok(), Some(vec![0, 0, 0, 0]));
    assert!(integrity_ok(&release, "lab"));
    assert!(!p.is_finished());
    p.handle_input(&reply(&release, CLASS_SUCCESS_RESPONSE, vec![]), now);
    assert!(p.is_finished());
    assert_eq!(p.outcome(), Some(&Outcome::Allocated));
}

#[test]
fn an_unanswered_release_is_given_up_after_a_second_and_the_outcome_stays() {
    let now = Instant::now();
    let mut p = probe(now);
    let auth = authenticating(&mut p, now);
    p.handle_input(&reply(&auth, CLASS_SUCCESS_RESPONSE, vec![]), now);
    let _release = sent(&mut p);
    p.handle_timeout(now + RELEASE_WAIT);
    assert!(p.is_finished());
    assert_eq!(p.outcome(), Some(&Outcome::Allocated));
}

#[test]
fn a_silent_server_gets_retransmissions_at_half_a_second_then_doubling_and_no_answer_at_the_budget()
{
    let t0 = Instant::now();
    let mut p = probe(t0);
    let first = p.poll_transmit().expect("the first request");
    assert_eq!(p.poll_timeout(), Some(t0 + INITIAL_RTO));
    p.handle_timeout(t0 + Duration::from_millis(499));
    assert!(p.poll_transmit().is_none(), "not yet");
    let mut at = t0 + INITIAL_RTO;
    let mut resent = vec![];
    while let Some(wake) = p.poll_timeout() {
        assert!(wake >= at, "time never goes back");
        at = wake;
        p.handle_timeout(at);
        if let Some(again) = p.poll_transmit() {
            assert_eq!(again, first, "a retransmission is the same request");
            resent.push(at - t0);
        }
    }
    assert_eq!(
        resent,
        [Duration::from_millis(500), Duration::from_millis(1500)]
    );
    assert_eq!(at - t0, BUDGET);
    assert_eq!(p.outcome(), Some(&Outcome::NoAnswer));
}

#[test]
fn a_challenge_that_comes_and_then_silence_is_no_answer_within_the_same_budget() {
    let t0 = Instant::now();
    let mut p = probe(t0);
    let _auth = authenticating(&mut p, t0 + Duration::from_secs(2));
    p.handle_timeout(t0 + BUDGET);
    assert_eq!(p.outcome(), Some(&Outcome::NoAnswer));
}

#[test]
fn answers_to_other_transactions_or_methods_and_garbage_are_ignored() {
    let now = Instant::now();
    let mut p = probe(now);
    let first = sent(&mut p);
    let mut other = first.clone();
    other.transaction_id = TransactionId::new();
    p.handle_input(&challenge(&other, "x"), now);
    let mut refresh = first.clone();
    refresh.typ.method = METHOD_REFRESH;
    p.handle_input(&challenge(&refresh, "x"), now);
    p.handle_input(b"not a TURN message at all, just bytes", now);
    p.handle_input(&[], now);
    assert_eq!(p.outcome(), None);
    assert!(p.poll_transmit().is_none() && !p.is_finished());
    p.handle_input(&challenge(&first, "n1"), now);
    assert!(
        p.poll_transmit().is_some(),
        "the real challenge still counts"
    );
}

proptest! {
    /// Whatever the server sends and whenever: no panic, the first outcome stands, and the probe ends
    /// by the budget plus the release's wait.
    #[test]
    fn any_answers_at_any_time_end_in_one_outcome_in_time(
        steps in proptest::collection::vec((0u64..900, 0usize..6, 0u16..7), 1..30)
    ) {
        let t0 = Instant::now();
        let mut p = probe(t0);
        let mut now = t0;
        let mut first_outcome = None;
        let mut last_request = p.poll_transmit().map(|b| parse(&b));
        for (wait_ms, kind, code_pick) in steps {
            now += Duration::from_millis(wait_ms);
            p.handle_timeout(now);
            if let Some(req) = &last_request {
                let code = [300, 401, 403, 437, 438, 441, 508][usize::from(code_pick)];
                let answer = match kind {
                    0 => reply(req, CLASS_SUCCESS_RESPONSE, vec![]),
                    1 => challenge(req, "n"),
                    2 => reply(req, CLASS_ERROR_RESPONSE, vec![error(code, "x"), attr(ATTR_NONCE, "m")]),
                    3 => reply(req, CLASS_ERROR_RESPONSE, vec![]),
                    4 => vec![0u8; 20],
                    _ => b"\x01\x01\x00\x00".to_vec(),
                };
                p.handle_input(&answer, now);
            }
            while let Some(b) = p.poll_transmit() {
                last_request = Some(parse(&b));
            }
            if let Some(o) = p.outcome() {
                let first = first_outcome.get_or_insert_with(|| o.clone());
                prop_assert_eq!(&*first, o);
            }
        }
        // The Allocate's budget runs from the start; a release's wait from the answer that started it.
        let latest_end = (t0 + BUDGET).max(now + RELEASE_WAIT);
        let mut wakes = 0;
        while let Some(wake) = p.poll_timeout() {
            prop_assert!(wake <= latest_end);
            wakes += 1;
            prop_assert!(wakes < 20);
            now = now.max(wake);
            p.handle_timeout(now);
            let _ = p.poll_transmit();
        }
        prop_assert!(p.is_finished() && p.outcome().is_some());
        if let Some(first) = first_outcome {
            prop_assert_eq!(Some(&first), p.outcome());
        }
    }
}
