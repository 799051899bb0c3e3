//! An INVITE with `Replaces` (RFC 3891): the far end takes over one of our dialogs in conversation (the
//! last step of an attended transfer to the agent). Here: reading the header and finding the dialog; the
//! engine decides whether the new call takes the old one's place.

use super::{Call, Calls, Phase};

/// The dialog a `Replaces` header names, from our side: its Call-ID, our tag (`to-tag`) and the far
/// end's (`from-tag`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Replaces {
    call_id: String,
    to_tag: String,
    from_tag: String,
}

impl Replaces {
    /// `call-id;to-tag=...;from-tag=...` (other parameters, such as `early-only`, ignored); `None` when
    /// the Call-ID or either tag is missing.
    pub(super) fn parse(v: &str) -> Option<Replaces> {
        let mut parts = v.split(';').map(str::trim);
        let call_id = parts.next().filter(|c| !c.is_empty())?.to_owned();
        let (mut to_tag, mut from_tag) = (None, None);
        for p in parts {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            match name.trim().to_ascii_lowercase().as_str() {
                "to-tag" => to_tag = Some(value.trim().to_owned()),
                "from-tag" => from_tag = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        Some(Replaces {
            call_id,
            to_tag: to_tag.filter(|t| !t.is_empty())?,
            from_tag: from_tag.filter(|t| !t.is_empty())?,
        })
    }

    fn names(&self, c: &Call) -> bool {
        c.call_id == self.call_id
            && c.local_tag == self.to_tag
            && c.remote_tag.as_deref() == Some(self.from_tag.as_str())
    }
}

impl Calls {
    /// Our call in conversation that `r` names, if any (RFC 3891 3: an early or ended dialog is not
    /// replaced; the INVITE gets 481).
    pub(super) fn replaced_by(&self, r: &Replaces) -> Option<u64> {
        self.calls
            .iter()
            .find(|(_, c)| c.phase == Phase::Confirmed && r.names(c))
            .map(|(id, _)| *id)
    }
}

#[cfg(test)]
mod tests {
    use super::Replaces;

    #[test]
    fn a_replaces_header_needs_the_call_id_and_both_tags() {
        let r = Replaces::parse("abc@host; from-tag=F1 ;to-tag=T1;early-only").expect("parsed");
        assert_eq!(
            r,
            Replaces {
                call_id: "abc@host".into(),
                to_tag: "T1".into(),
                from_tag: "F1".into(),
            }
        );
        for bad in [
            "",
            ";to-tag=a;from-tag=b",
            "abc;to-tag=a",
            "abc;from-tag=b",
            "abc;to-tag=;from-tag=b",
        ] {
            assert_eq!(Replaces::parse(bad), None, "{bad}");
        }
    }
}
