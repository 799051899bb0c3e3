//! A server's request that the phone answer an incoming call by itself, in the forms PBXs and call queues
//! send (none is a standard for a plain INVITE; these are what phones honour):
//!
//! | header | example | means |
//! | --- | --- | --- |
//! | `Call-Info` | `<sip:pbx.example.com>;answer-after=0` | answer after N seconds |
//! | `Alert-Info` | `<http://x>;info=alert-autoanswer`, `info=alert-autoanswer;delay=2`, `Auto Answer` | answer (delay given or not) |
//! | `Alert-Info` | `<http://x>;answer-after=1` | answer after N seconds |
//! | `Answer-Mode` (RFC 5373) | `Auto` | answer |
//!
//! Only read here; whether it is honoured is policy (`calls.auto_answer_header_hints`, off by default) and
//! the core's auto-answer rules. Values are never logged.

use std::time::Duration;

use ezk_sip_types::Name;

use super::message::SipMessage;
use super::request::split_commas;

/// What the server asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerHint {
    /// Answer after this long (`answer-after=N`, `delay=N`, in seconds).
    After(Duration),
    /// Answer, no time given.
    Unspecified,
}

/// The longest `answer-after` read; a larger number is read as this.
const MAX_SECONDS: u64 = 3600;

impl AnswerHint {
    /// The hint an INVITE carries, if any (the first header that gives one, in the order of the table).
    pub fn of(req: &SipMessage) -> Option<AnswerHint> {
        let call_info = req.raws(&Name::from("Call-Info"));
        let alert_info = req.raws(&Name::from("Alert-Info"));
        let answer_mode = req.raws(&Name::from("Answer-Mode"));
        call_info
            .iter()
            .flat_map(|h| split_commas(h))
            .find_map(|v| answer_after(&v))
            .or_else(|| {
                alert_info
                    .iter()
                    .flat_map(|h| split_commas(h))
                    .find_map(|v| from_alert_info(&v))
            })
            .or_else(|| {
                answer_mode
                    .iter()
                    .any(|v| {
                        v.split(';')
                            .next()
                            .is_some_and(|m| m.trim().eq_ignore_ascii_case("auto"))
                    })
                    .then_some(AnswerHint::Unspecified)
            })
    }
}

/// The parameters of one header value (after its `<uri>`, if any): `(name lower-cased, value)`.
fn params(value: &str) -> impl Iterator<Item = (String, &str)> {
    let rest = match value.rfind('>') {
        Some(end) => &value[end + 1..],
        None => value,
    };
    rest.split(';').filter_map(|p| {
        let (name, val) = p.split_once('=').unwrap_or((p, ""));
        let name = name.trim().to_ascii_lowercase();
        (!name.is_empty()).then(|| (name, val.trim().trim_matches('"')))
    })
}

fn seconds(v: &str) -> Option<Duration> {
    let n: u64 = v.parse().ok()?;
    Some(Duration::from_secs(n.min(MAX_SECONDS)))
}

/// `answer-after=N` among a value's parameters.
fn answer_after(value: &str) -> Option<AnswerHint> {
    params(value)
        .find(|(n, _)| n == "answer-after")
        .and_then(|(_, v)| seconds(v))
        .map(AnswerHint::After)
}

fn from_alert_info(value: &str) -> Option<AnswerHint> {
    if let Some(hint) = answer_after(value) {
        return Some(hint);
    }
    let squeezed: String = value
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if !squeezed.contains("autoanswer") {
        return None;
    }
    let delay = params(value)
        .find(|(n, _)| n == "delay")
        .and_then(|(_, v)| seconds(v));
    Some(delay.map_or(AnswerHint::Unspecified, AnswerHint::After))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message;
    use proptest::prelude::*;

    fn hint(extra: &str) -> Option<AnswerHint> {
        let text = format!(
            "INVITE sip:agent@lifeline.lab SIP/2.0\r\n\
             Via: SIP/2.0/WSS lab;branch=z9hG4bK1\r\n\
             From: <sip:queue@lifeline.lab>;tag=1\r\nTo: <sip:agent@lifeline.lab>\r\n\
             Call-ID: c1\r\nCSeq: 1 INVITE\r\n{extra}Content-Length: 0\r\n\r\n"
        );
        AnswerHint::of(&message::parse(text.as_bytes()).expect("parses"))
    }

    #[test]
    fn call_info_answer_after_gives_the_seconds() {
        assert_eq!(
            hint("Call-Info: <sip:pbx.lifeline.lab>;answer-after=0\r\n"),
            Some(AnswerHint::After(Duration::ZERO))
        );
        assert_eq!(
            hint("Call-Info: <http://x/a.png>;purpose=icon, <sip:pbx>; Answer-After = 3\r\n"),
            Some(AnswerHint::After(Duration::from_secs(3)))
        );
    }

    #[test]
    fn alert_info_auto_answer_in_its_common_spellings() {
        for v in [
            "<http://www.notused.com>;info=alert-autoanswer",
            "info=alert-autoanswer",
            "Auto Answer",
            "<sip:x>;info=auto-answer",
        ] {
            assert_eq!(
                hint(&format!("Alert-Info: {v}\r\n")),
                Some(AnswerHint::Unspecified),
                "{v}"
            );
        }
        assert_eq!(
            hint("Alert-Info: <http://x>;info=alert-autoanswer;delay=2\r\n"),
            Some(AnswerHint::After(Duration::from_secs(2)))
        );
        assert_eq!(
            hint("Alert-Info: <http://x>;answer-after=1\r\n"),
            Some(AnswerHint::After(Duration::from_secs(1)))
        );
    }

    #[test]
    fn answer_mode_auto_is_a_hint() {
        assert_eq!(hint("Answer-Mode: Auto\r\n"), Some(AnswerHint::Unspecified));
        assert_eq!(hint("Answer-Mode: Manual\r\n"), None);
    }

    #[test]
    fn other_alert_and_call_info_values_are_no_hint() {
        assert_eq!(hint(""), None);
        assert_eq!(hint("Alert-Info: <http://x/ring.wav>;info=ring2\r\n"), None);
        assert_eq!(hint("Call-Info: <http://x/a.png>;purpose=icon\r\n"), None);
        assert_eq!(hint("Call-Info: <sip:pbx>;answer-after=soon\r\n"), None);
        assert_eq!(hint("Call-Info: <sip:pbx>;answer-after=-1\r\n"), None);
    }

    #[test]
    fn a_huge_answer_after_is_bounded() {
        assert_eq!(
            hint("Call-Info: <sip:pbx>;answer-after=99999999999999999\r\n"),
            Some(AnswerHint::After(Duration::from_secs(MAX_SECONDS)))
        );
    }

    proptest! {
        #[test]
        fn any_header_value_is_read_without_panic(v in "[ -~]{0,80}") {
            let _ = answer_after(&v);
            let _ = from_alert_info(&v);
        }
    }
}
