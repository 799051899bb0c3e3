//! Masks secrets in log lines before they reach a log file.
//!
//! The engine already avoids logging addresses, emergency numbers and audio; this is the second line of
//! defence for what slips through: `Authorization`/`Proxy-Authorization` header values (digest responses),
//! password/secret/token fields in any of the forms code tends to print (`password=x`, `password: "x"`,
//! `"password":"x"`), and the user part of `sip:`/`sips:`/`tel:` URIs (and `number` fields) that hold an
//! emergency number. Street addresses cannot be recognised reliably, so they are not attempted here.
//!
//! Pure: a line in, the line to write out. The desktop app's log files and `lifeline-headless`'s stderr
//! both pass through it, and both cap other crates' log lines at info ([`third_party_allowed`]).

use std::borrow::Cow;
use std::collections::HashSet;

use regex::{Captures, Regex};

pub const MASK: &str = "[redacted]";

/// Other crates (tungstenite, rustls, hyper, webrtc...) print frames, headers and bodies at debug and
/// trace: those lines are never written, whatever the log spec asks. Our own targets (`lifeline*`) follow
/// the spec.
pub fn third_party_allowed(target: &str, is_above_info: bool) -> bool {
    target.starts_with("lifeline") || !is_above_info
}

/// A `tracing-subscriber` writer that redacts each formatted event before it reaches stderr.
#[derive(Clone)]
pub struct RedactingStderr(pub std::sync::Arc<Redactor>);

impl std::io::Write for RedactingStderr {
    /// The fmt layer hands over one whole formatted event per call.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(self.0.redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RedactingStderr {
    type Writer = RedactingStderr;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
pub const EMERGENCY_MASK: &str = "[emergency]";

pub struct Redactor {
    auth_header: Regex,
    secret_field: Regex,
    uri_user: Regex,
    number_field: Regex,
    emergency: HashSet<String>,
}

impl Redactor {
    /// `emergency_numbers`: digits only (e.g. "911", "112", "999"); a URI user part or `number` field holding
    /// one of them (visual separators and a leading `+` ignored) is masked.
    pub fn new<I, S>(emergency_numbers: I) -> Result<Redactor, regex::Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Ok(Redactor {
            // Header form up to the end of the line, or a quoted value after the name (maps printed by Debug).
            auth_header: Regex::new(
                r#"(?i)\b((?:proxy-)?authorization"?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|[^\r\n]*)"#,
            )?,
            secret_field: Regex::new(
                r#"(?i)\b([\w-]*(?:password|passwd|secret|token)"?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&})\]]+)"#,
            )?,
            uri_user: Regex::new(r#"(?i)\b(sips?:|tel:)(//)?([^@;?>\s"',]+)"#)?,
            number_field: Regex::new(
                r#"(?i)\b((?:number|dialled|dialed|to_dial)"?\s*[:=]\s*"?)([^"\s,;&})\]]+)"#,
            )?,
            emergency: emergency_numbers.into_iter().map(Into::into).collect(),
        })
    }

    /// The Redactor for the built-in emergency number table (every country's numbers, plus 112, 911, 933).
    pub fn with_builtin_numbers() -> Result<Redactor, regex::Error> {
        use crate::emergency::NumberTable;
        let mut numbers: Vec<String> = ["112", "911", "933"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if let Ok(table) = NumberTable::builtin() {
            for cc in table.countries() {
                if let Ok(entry) = table.country(cc) {
                    numbers.extend(entry.numbers.keys().cloned());
                }
            }
        }
        Redactor::new(numbers)
    }

    pub fn redact<'a>(&self, line: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(line);
        let auth = self
            .auth_header
            .replace_all(&out, |c: &Captures| format!("{}{MASK}", &c[1]));
        if let Cow::Owned(s) = auth {
            out = Cow::Owned(s);
        }
        let secrets = self
            .secret_field
            .replace_all(&out, |c: &Captures| format!("{}{MASK}", &c[1]));
        if let Cow::Owned(s) = secrets {
            out = Cow::Owned(s);
        }
        let uris = self.uri_user.replace_all(&out, |c: &Captures| {
            let user = &c[3];
            if self.is_emergency(user) {
                format!(
                    "{}{}{EMERGENCY_MASK}",
                    &c[1],
                    c.get(2).map_or("", |m| m.as_str())
                )
            } else {
                c[0].to_owned()
            }
        });
        if let Cow::Owned(s) = uris {
            out = Cow::Owned(s);
        }
        let numbers = self.number_field.replace_all(&out, |c: &Captures| {
            if self.is_emergency(&c[2]) {
                format!("{}{EMERGENCY_MASK}", &c[1])
            } else {
                c[0].to_owned()
            }
        });
        if let Cow::Owned(s) = numbers {
            out = Cow::Owned(s);
        }
        out
    }

    /// Digits of `s` without visual separators and a leading `+`, checked as dialled and without a one-digit
    /// outside-line prefix ("9911").
    fn is_emergency(&self, s: &str) -> bool {
        let digits: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | '.' | '(' | ')' | ' '))
            .collect();
        let digits = digits.strip_prefix('+').unwrap_or(&digits);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        self.emergency.contains(digits)
            || (digits.len() > 3 && self.emergency.contains(&digits[1..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::with_builtin_numbers().expect("patterns compile")
    }

    #[test]
    fn other_crates_are_capped_at_info_and_ours_follow_the_spec() {
        assert!(third_party_allowed("lifeline_engine::sip::driver", true));
        assert!(third_party_allowed("lifeline::timing", true));
        assert!(third_party_allowed("tungstenite::protocol", false));
        assert!(!third_party_allowed("tungstenite::protocol", true));
        assert!(!third_party_allowed("rustls::client", true));
    }

    #[test]
    fn digest_authorization_header_values_are_masked() {
        let r = redactor();
        let line = "REGISTER sip:lifeline.lab SIP/2.0\r\nAuthorization: Digest username=\"agent\", \
                    realm=\"lifeline.lab\", nonce=\"abc\", response=\"6629fae49393a05397450978507c4ef1\"\r\nCSeq: 2";
        let got = r.redact(line);
        assert!(!got.contains("6629fae4"), "{got}");
        assert!(
            got.contains("Authorization: [redacted]\r\nCSeq: 2"),
            "{got}"
        );
        let got = r.redact("proxy-authorization: Digest response=\"deadbeef\"");
        assert_eq!(got, "proxy-authorization: [redacted]");
        let got = r
            .redact(r#"headers: {"authorization": "Digest response=\"x\"", "via": "SIP/2.0/WSS"}"#);
        assert_eq!(
            got,
            r#"headers: {"authorization": [redacted], "via": "SIP/2.0/WSS"}"#
        );
    }

    #[test]
    fn password_fields_are_masked_in_every_common_form() {
        let r = redactor();
        assert_eq!(
            r.redact("sign in user=agent password=agent-secret ok"),
            "sign in user=agent password=[redacted] ok"
        );
        assert_eq!(
            r.redact(r#"SignIn { user: "agent", password: "agent secret", remember: true }"#),
            r#"SignIn { user: "agent", password: [redacted], remember: true }"#
        );
        assert_eq!(
            r.redact(r#"{"cmd":"sign_in","password":"p\"w","user":"agent"}"#),
            r#"{"cmd":"sign_in","password":[redacted],"user":"agent"}"#
        );
        assert_eq!(
            r.redact("smtp_password='x y' next"),
            "smtp_password=[redacted] next"
        );
        assert_eq!(
            r.redact("webhook token: abc123, retry"),
            "webhook token: [redacted], retry"
        );
        assert_eq!(
            r.redact("client_secret=s3cr3t&x=1"),
            "client_secret=[redacted]&x=1"
        );
    }

    #[test]
    fn emergency_numbers_in_sip_and_tel_uris_are_masked() {
        let r = redactor();
        assert_eq!(
            r.redact("INVITE sip:911@lifeline.lab SIP/2.0"),
            "INVITE sip:[emergency]@lifeline.lab SIP/2.0"
        );
        assert_eq!(
            r.redact("to <sips:+112@example.com;user=phone>"),
            "to <sips:[emergency]@example.com;user=phone>"
        );
        assert_eq!(
            r.redact("link tel:999 opened"),
            "link tel:[emergency] opened"
        );
        assert_eq!(r.redact("link tel://9-1-1"), "link tel://[emergency]");
        assert_eq!(
            r.redact("outside line sip:9911@lifeline.lab"),
            "outside line sip:[emergency]@lifeline.lab"
        );
        assert_eq!(
            r.redact(r#"Dial { number: "112" }"#),
            r#"Dial { number: "[emergency]" }"#
        );
        assert_eq!(
            r.redact(r#"{"cmd":"dial","number":"911"}"#),
            r#"{"cmd":"dial","number":"[emergency]"}"#
        );
    }

    #[test]
    fn ordinary_numbers_and_text_are_left_alone() {
        let r = redactor();
        for line in [
            "INVITE sip:peer@lifeline.lab SIP/2.0",
            "call to sip:+15550100@lifeline.lab ringing",
            "tel:+442079460958",
            r#"Dial { number: "5550100" }"#,
            "registered as agent@lifeline.lab, expires 600 s",
            "WWW-Authenticate: Digest realm=\"lifeline.lab\", nonce=\"abc\"",
            "urn:service:sos call started",
        ] {
            assert_eq!(r.redact(line), line);
        }
    }

    proptest::proptest! {
        #[test]
        fn a_password_value_never_survives(secret in "[A-Za-z0-9!@#%^*]{1,24}", key in "(password|Password|PASSWD|smtp_password|api_token)") {
            let r = redactor();
            let cases = [
                (format!("{key}={secret}"), format!("{key}={MASK}")),
                (format!("{key}: \"{secret}\" next"), format!("{key}: {MASK} next")),
                (format!("{{\"{key}\":\"{secret}\"}}"), format!("{{\"{key}\":{MASK}}}")),
            ];
            for (line, want) in cases {
                proptest::prop_assert_eq!(r.redact(&line), want);
            }
        }
    }
}
