//! `tel:` and `sip:` links: what number (or SIP address) they ask the dialler to show.
//!
//! Pure: a link goes in, the text for the number field comes out, or a reason to ignore it. The result only
//! ever fills the dialler; the agent presses Call (no one-click dialling, also not for emergency numbers).
//! Errors never repeat the link's content: it may be an emergency number, which is not logged.

use percent_encoding::percent_decode_str;

/// Longest link we look at; real numbers and SIP addresses are far shorter.
const MAX_LINK_LEN: usize = 512;
/// Longest phone number kept (E.164 allows 15 digits; local dial plans add prefixes and `*`/`#` codes).
const MAX_NUMBER_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    #[error("the link is longer than {MAX_LINK_LEN} characters")]
    TooLong,
    #[error("the link is not a tel:, sip: or sips: URL")]
    UnsupportedScheme,
    #[error("the link's percent-encoding does not decode to text")]
    BadEncoding,
    #[error("the tel: link does not hold a phone number (digits, *, #, an optional leading +)")]
    NotANumber,
    #[error("the sip: link has no user to call (expected sip:user@host)")]
    NoUser,
    #[error("the sip: link's user part holds characters a SIP address cannot have")]
    BadUser,
    #[error("the sip: link's host is not a host name or IP address")]
    BadHost,
}

/// True for a command-line argument that is a link for the dialler rather than an option.
pub fn is_link_arg(arg: &str) -> bool {
    scheme_of(arg).is_some()
}

/// What a `tel:`/`sip:`/`sips:` link puts in the number field: a cleaned phone number for `tel:`
/// (`tel:+1-555-0100;phone-context=x` -> `+15550100`), `sip:user@host` for SIP (parameters and headers
/// dropped, `sip:bob@example.com?subject=x` -> `sip:bob@example.com`).
pub fn dial_text(link: &str) -> Result<String, LinkError> {
    let link = link.trim();
    if link.len() > MAX_LINK_LEN {
        return Err(LinkError::TooLong);
    }
    let (scheme, rest) = scheme_of(link).ok_or(LinkError::UnsupportedScheme)?;
    // Some web pages write `tel://911`; the slashes mean nothing here.
    let rest = rest.trim_start_matches('/');
    match scheme {
        Scheme::Tel => tel_number(rest),
        Scheme::Sip => sip_address("sip", rest),
        Scheme::Sips => sip_address("sips", rest),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Tel,
    Sip,
    Sips,
}

fn scheme_of(link: &str) -> Option<(Scheme, &str)> {
    let (scheme, rest) = link.split_once(':')?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "tel" => Scheme::Tel,
        "sip" => Scheme::Sip,
        "sips" => Scheme::Sips,
        _ => return None,
    };
    Some((scheme, rest))
}

fn decode(s: &str) -> Result<String, LinkError> {
    let text = percent_decode_str(s)
        .decode_utf8()
        .map_err(|_| LinkError::BadEncoding)?;
    if text.chars().any(char::is_control) {
        return Err(LinkError::BadEncoding);
    }
    Ok(text.into_owned())
}

/// RFC 3966: the number is everything before the first `;` (phone-context, ext, isub are parameters);
/// visual separators (`-`, `.`, `(`, `)`, spaces) are dropped.
fn tel_number(rest: &str) -> Result<String, LinkError> {
    let number = rest.split(';').next().unwrap_or_default();
    let number = decode(number)?;
    let cleaned: String = number
        .chars()
        .filter(|c| !matches!(c, '-' | '.' | '(' | ')') && !c.is_whitespace())
        .collect();
    let digits = cleaned.strip_prefix('+').unwrap_or(&cleaned);
    let ok = !digits.is_empty()
        && cleaned.len() <= MAX_NUMBER_LEN
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#');
    if ok {
        Ok(cleaned)
    } else {
        Err(LinkError::NotANumber)
    }
}

/// RFC 3261 `sip:user;params@host:port;uri-params?headers` -> `sip:user@host:port`.
fn sip_address(scheme: &str, rest: &str) -> Result<String, LinkError> {
    let without_headers = rest.split('?').next().unwrap_or_default();
    let (user, host) = without_headers.rsplit_once('@').ok_or(LinkError::NoUser)?;
    let user = user.split(';').next().unwrap_or_default();
    let user = decode(user)?;
    if user.is_empty() {
        return Err(LinkError::NoUser);
    }
    if user
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '@' | ':' | '\\'))
    {
        return Err(LinkError::BadUser);
    }
    let host = host
        .split(';')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !valid_host(&host) {
        return Err(LinkError::BadHost);
    }
    Ok(format!("{scheme}:{user}@{host}"))
}

/// A host name or IPv4 address with an optional port, or a bracketed IPv6 address with an optional port.
fn valid_host(host: &str) -> bool {
    let (name, port) = if let Some(v6) = host.strip_prefix('[') {
        match v6.split_once(']') {
            Some((addr, after)) => {
                if addr.parse::<std::net::Ipv6Addr>().is_err() {
                    return false;
                }
                (None, after.strip_prefix(':'))
            }
            None => return false,
        }
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) => (Some(name), Some(port)),
            None => (Some(host), None),
        }
    };
    if let Some(port) = port {
        if port.parse::<u16>().map_or(true, |p| p == 0) {
            return false;
        }
    }
    match name {
        None => true,
        Some(name) => {
            !name.is_empty()
                && name.len() <= 253
                && name.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tel_link_with_separators_and_phone_context_gives_the_bare_number() {
        assert_eq!(
            dial_text("tel:+1-555-0100;phone-context=example.com"),
            Ok("+15550100".into())
        );
        assert_eq!(
            dial_text("tel:7042;phone-context=example.com"),
            Ok("7042".into())
        );
        assert_eq!(dial_text("tel:(555) 010.0199"), Ok("5550100199".into()));
        assert_eq!(dial_text("TEL:911"), Ok("911".into()));
        assert_eq!(dial_text("tel://911"), Ok("911".into()));
        assert_eq!(dial_text("tel:*67#"), Ok("*67#".into()));
    }

    #[test]
    fn emergency_numbers_are_filled_like_any_other() {
        for n in ["911", "999", "112", "933"] {
            assert_eq!(dial_text(&format!("tel:{n}")), Ok(n.to_owned()));
        }
    }

    #[test]
    fn percent_encoded_links_are_decoded() {
        assert_eq!(
            dial_text("tel:%2B44%2020%207946%200958"),
            Ok("+442079460958".into())
        );
        assert_eq!(
            dial_text("sip:alice%20smith@example.com"),
            Err(LinkError::BadUser)
        );
        assert_eq!(
            dial_text("sip:al%69ce@example.com"),
            Ok("sip:alice@example.com".into())
        );
        assert_eq!(dial_text("tel:%FF%FE"), Err(LinkError::BadEncoding));
        assert_eq!(dial_text("tel:91%0A1"), Err(LinkError::BadEncoding));
    }

    #[test]
    fn sip_link_drops_headers_and_parameters() {
        assert_eq!(
            dial_text("sip:bob@example.com?subject=x"),
            Ok("sip:bob@example.com".into())
        );
        assert_eq!(
            dial_text(
                "sip:+15550100;phone-context=x@Example.COM:5061;transport=tls?priority=urgent"
            ),
            Ok("sip:+15550100@example.com:5061".into())
        );
        assert_eq!(
            dial_text("sips:carol@[2001:db8::1]:5061"),
            Ok("sips:carol@[2001:db8::1]:5061".into())
        );
        assert_eq!(
            dial_text("sip:911@lifeline.lab"),
            Ok("sip:911@lifeline.lab".into())
        );
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert_eq!(
            dial_text("mailto:x@example.com"),
            Err(LinkError::UnsupportedScheme)
        );
        assert_eq!(dial_text("911"), Err(LinkError::UnsupportedScheme));
        assert_eq!(dial_text("tel:"), Err(LinkError::NotANumber));
        assert_eq!(dial_text("tel:call-me-maybe"), Err(LinkError::NotANumber));
        assert_eq!(dial_text("tel:91+1"), Err(LinkError::NotANumber));
        assert_eq!(
            dial_text(&format!("tel:{}", "1".repeat(40))),
            Err(LinkError::NotANumber)
        );
        assert_eq!(
            dial_text(&format!("tel:{}", "1".repeat(600))),
            Err(LinkError::TooLong)
        );
        assert_eq!(dial_text("sip:example.com"), Err(LinkError::NoUser));
        assert_eq!(dial_text("sip:@example.com"), Err(LinkError::NoUser));
        assert_eq!(dial_text("sip:bob@exa mple.com"), Err(LinkError::BadHost));
        assert_eq!(dial_text("sip:bob@example.com:0"), Err(LinkError::BadHost));
        assert_eq!(dial_text("sip:bob@[not-v6]"), Err(LinkError::BadHost));
        assert_eq!(
            dial_text("sip:<script>@example.com"),
            Err(LinkError::BadUser)
        );
    }

    #[test]
    fn errors_never_repeat_the_number() {
        let e = dial_text("tel:911-abc").expect_err("not a number");
        assert!(!e.to_string().contains("911"), "{e}");
    }

    #[test]
    fn only_tel_sip_and_sips_arguments_are_links() {
        assert!(is_link_arg("tel:911") && is_link_arg("SIP:bob@example.com"));
        assert!(!is_link_arg("/tmp/telephone"));
        assert!(!is_link_arg("https://example.com"));
        assert!(!is_link_arg("--config"));
    }

    proptest::proptest! {
        #[test]
        fn any_input_gives_a_result_and_numbers_keep_only_dialable_characters(s in "\\PC{0,80}") {
            if let Ok(text) = dial_text(&format!("tel:{s}")) {
                proptest::prop_assert!(text.chars().all(|c| c.is_ascii_digit() || "*#+".contains(c)));
            }
            let _ = dial_text(&format!("sip:{s}"));
            let _ = dial_text(&s);
        }
    }
}
