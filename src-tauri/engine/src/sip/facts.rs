//! What an incoming INVITE says about itself, read once here: the engine's core and the call arbitration
//! decide on these typed facts and never see a header list.

use ezk_sip_types::Name;

use super::message::SipMessage;
use super::request::split_commas;

/// The facts of an incoming INVITE that decide how it is handled (ring, ring as the emergency services'
/// callback, or refuse).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncomingFacts {
    /// The Request-URI.
    pub request_uri: String,
    /// The caller as `From` names it: its URI, without display name or tag.
    pub from: String,
    /// The `To` value as sent (it names the line the caller dialled).
    pub to: String,
    /// The first readable `Priority` header (RFC 3261 20.26); `None` when absent or malformed.
    pub priority: Option<Priority>,
    /// The `P-Asserted-Identity` URIs, in order, from every such header (RFC 3325 9.1: one SIP or SIPS
    /// URI and one tel URI at most, in one header or several).
    pub asserted_identity: Vec<String>,
    /// The names of the request's headers, lower-cased, each once (at most [`MAX_HEADER_NAMES`]): a
    /// policy may name one that marks ordinary traffic (`emergency.queue_call_header`, set by the queue).
    pub header_names: Vec<String>,
    /// The server asks the phone to answer by itself (`Call-Info` `answer-after`, `Alert-Info`
    /// auto-answer, `Answer-Mode: Auto`); honoured only as policy says (`calls.auto_answer_header_hints`).
    pub answer_hint: Option<super::answer_hint::AnswerHint>,
    /// The SIP layer's id of our call in conversation that this INVITE's `Replaces` (RFC 3891) takes over.
    pub replaces: Option<u64>,
}

/// Header names kept per INVITE: a request with more is odd, and the arbitration needs only a few.
pub const MAX_HEADER_NAMES: usize = 64;

impl IncomingFacts {
    /// Reads the facts of an INVITE (`from`: the URI already read from its `From`).
    pub fn of(req: &SipMessage, from: String) -> IncomingFacts {
        IncomingFacts {
            request_uri: req
                .request_uri()
                .map(|u| u.trim().to_owned())
                .unwrap_or_default(),
            from,
            to: req.raw(&Name::TO).unwrap_or_default().to_owned(),
            priority: req
                .raws(&Name::PRIORITY)
                .first()
                .and_then(|p| Priority::parse(p)),
            asserted_identity: req
                .raws(&Name::from("P-Asserted-Identity"))
                .iter()
                .flat_map(|h| split_commas(h))
                .filter_map(|v| asserted_uri(&v))
                .collect(),
            header_names: header_names(req),
            answer_hint: super::answer_hint::AnswerHint::of(req),
            replaces: None,
        }
    }

    /// Does the request carry a header of this name (compared without regard to case)?
    pub fn has_header(&self, name: &str) -> bool {
        let name = name.trim();
        !name.is_empty()
            && self
                .header_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(name))
    }

    /// Who the caller is: the network's asserted identity when there is one, else `From`.
    pub fn caller(&self) -> &str {
        self.asserted_identity
            .first()
            .map(String::as_str)
            .unwrap_or(&self.from)
    }
}

fn header_names(req: &SipMessage) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (name, _) in req.headers.iter() {
        let n = name.as_print_str().to_ascii_lowercase();
        if !out.contains(&n) {
            if out.len() == MAX_HEADER_NAMES {
                break;
            }
            out.push(n);
        }
    }
    out
}

/// The `Priority` header's value (RFC 3261 20.26, compared without regard to case).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Priority {
    Emergency,
    /// RFC 7090: the emergency services calling back after an emergency call (`psap-callback`).
    PsapCallback,
    Urgent,
    Normal,
    NonUrgent,
    /// An `other-priority` token this agent gives no meaning.
    Other(String),
}

impl Priority {
    /// Does the sender claim to be the emergency services (`emergency`, RFC 7090 `psap-callback`)? Only a
    /// claim: who may make it is decided in the arbitration.
    pub fn claims_emergency_services(&self) -> bool {
        matches!(self, Priority::Emergency | Priority::PsapCallback)
    }

    /// `None` for an empty value or one that is not a single token (e.g. `emergency;x`, `very urgent`).
    pub fn parse(value: &str) -> Option<Priority> {
        let v = value.trim();
        if v.is_empty() || !v.chars().all(is_token_char) {
            return None;
        }
        let lower = v.to_ascii_lowercase();
        Some(match lower.as_str() {
            "emergency" => Priority::Emergency,
            "psap-callback" => Priority::PsapCallback,
            "urgent" => Priority::Urgent,
            "normal" => Priority::Normal,
            "non-urgent" => Priority::NonUrgent,
            _ => Priority::Other(lower),
        })
    }
}

/// RFC 3261 25.1 `token` characters.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

/// The URI of one `P-Asserted-Identity` value (`name-addr` or `addr-spec`); `None` when there is none.
fn asserted_uri(value: &str) -> Option<String> {
    let v = value.trim();
    let uri = match (v.find('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => &v[a + 1..b],
        (None, None) => v.split(';').next().unwrap_or(v),
        _ => return None,
    };
    let uri = uri.trim();
    let lower = uri.to_ascii_lowercase();
    ["sip:", "sips:", "tel:"]
        .iter()
        .any(|s| lower.starts_with(s) && lower.len() > s.len())
        .then(|| uri.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message;

    fn invite(extra: &str) -> SipMessage {
        let text = format!(
            "INVITE sip:agent@10.0.0.5:5060;transport=ws SIP/2.0\r\n\
             Via: SIP/2.0/WSS lab;branch=z9hG4bK1\r\n\
             From: \"Caller\" <sip:caller@lifeline.lab>;tag=1\r\n\
             To: <sip:agent-e911@lifeline.lab>\r\n\
             Call-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@10.0.0.9>\r\n\
             {extra}Content-Length: 0\r\n\r\n"
        );
        message::parse(text.as_bytes()).expect("parses")
    }

    fn facts(extra: &str) -> IncomingFacts {
        IncomingFacts::of(&invite(extra), "sip:caller@lifeline.lab".into())
    }

    #[test]
    fn the_request_uri_and_to_are_reported_as_sent() {
        let f = facts("");
        assert_eq!(f.request_uri, "sip:agent@10.0.0.5:5060;transport=ws");
        assert_eq!(f.to, "<sip:agent-e911@lifeline.lab>");
        assert_eq!(f.priority, None);
        assert!(f.asserted_identity.is_empty());
        assert_eq!(f.caller(), "sip:caller@lifeline.lab");
    }

    #[test]
    fn priority_is_read_without_regard_to_case_or_spaces() {
        assert_eq!(
            facts("Priority:  Emergency \r\n").priority,
            Some(Priority::Emergency)
        );
        assert_eq!(
            facts("Priority: non-urgent\r\n").priority,
            Some(Priority::NonUrgent)
        );
        assert_eq!(
            facts("Priority: x-psap\r\n").priority,
            Some(Priority::Other("x-psap".into()))
        );
    }

    #[test]
    fn rfc_7090_psap_callback_is_recognised() {
        let f = facts("Priority: PSAP-Callback\r\n");
        assert_eq!(f.priority, Some(Priority::PsapCallback));
        assert!(f.priority.is_some_and(|p| p.claims_emergency_services()));
        assert!(!Priority::Urgent.claims_emergency_services());
    }

    #[test]
    fn header_names_are_kept_once_and_found_without_regard_to_case() {
        let f = facts("X-Queue: sales\r\nx-queue: again\r\n");
        assert!(f.has_header("X-QUEUE"));
        assert!(f.has_header("call-id"));
        assert!(!f.has_header("X-Other"));
        assert!(!f.has_header(" "));
        assert_eq!(f.header_names.iter().filter(|n| *n == "x-queue").count(), 1);
    }

    #[test]
    fn a_malformed_priority_is_no_priority() {
        for bad in [
            "emergency;x=1",
            "very urgent",
            "\"emergency\"",
            "emergency,urgent",
        ] {
            assert_eq!(Priority::parse(bad), None, "{bad}");
        }
        assert_eq!(facts("Priority: emergency;x=1\r\n").priority, None);
        assert_eq!(facts("Priority: \r\n").priority, None);
    }

    #[test]
    fn the_first_priority_header_counts() {
        let f = facts("Priority: normal\r\nPriority: emergency\r\n");
        assert_eq!(f.priority, Some(Priority::Normal));
    }

    #[test]
    fn a_sip_asserted_identity_names_the_caller() {
        let f = facts("P-Asserted-Identity: \"PSAP\" <sip:psap@lifeline.lab>\r\n");
        assert_eq!(f.asserted_identity, ["sip:psap@lifeline.lab"]);
        assert_eq!(f.caller(), "sip:psap@lifeline.lab");
    }

    #[test]
    fn a_tel_asserted_identity_names_the_caller() {
        let f = facts("P-Asserted-Identity: tel:+1-555-0199\r\n");
        assert_eq!(f.asserted_identity, ["tel:+1-555-0199"]);
        assert_eq!(f.caller(), "tel:+1-555-0199");
    }

    #[test]
    fn several_asserted_identities_are_kept_in_order_the_first_names_the_caller() {
        let two_headers = facts(
            "P-Asserted-Identity: <sip:psap@lifeline.lab>\r\n\
             P-Asserted-Identity: <tel:+15550199>\r\n",
        );
        let one_header = facts("P-Asserted-Identity: <sip:psap@lifeline.lab>, <tel:+15550199>\r\n");
        for f in [two_headers, one_header] {
            assert_eq!(
                f.asserted_identity,
                ["sip:psap@lifeline.lab", "tel:+15550199"]
            );
            assert_eq!(f.caller(), "sip:psap@lifeline.lab");
        }
    }

    #[test]
    fn an_unreadable_asserted_identity_is_skipped() {
        let f = facts("P-Asserted-Identity: <>, garbage, <sip:psap@lifeline.lab\r\n");
        assert!(f.asserted_identity.is_empty(), "{:?}", f.asserted_identity);
        assert_eq!(f.caller(), "sip:caller@lifeline.lab");
    }
}
