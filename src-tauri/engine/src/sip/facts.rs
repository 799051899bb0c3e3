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
}

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
        }
    }

    /// Who the caller is: the network's asserted identity when there is one, else `From`.
    pub fn caller(&self) -> &str {
        self.asserted_identity
            .first()
            .map(String::as_str)
            .unwrap_or(&self.from)
    }
}

/// The `Priority` header's value (RFC 3261 20.26, compared without regard to case).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Priority {
    Emergency,
    Urgent,
    Normal,
    NonUrgent,
    /// An `other-priority` token this agent gives no meaning.
    Other(String),
}

impl Priority {
    /// `None` for an empty value or one that is not a single token (e.g. `emergency;x`, `very urgent`).
    pub fn parse(value: &str) -> Option<Priority> {
        let v = value.trim();
        if v.is_empty() || !v.chars().all(is_token_char) {
            return None;
        }
        let lower = v.to_ascii_lowercase();
        Some(match lower.as_str() {
            "emergency" => Priority::Emergency,
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
