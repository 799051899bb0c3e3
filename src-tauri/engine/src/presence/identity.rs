//! Who is calling, reduced to something comparable: a SIP identity (`user@host`) or a number, and the
//! patterns `emergency.callback_from` uses to name the emergency services.

/// A caller or callee taken from a `From`/`To`/Request-URI value: `"Name" <sip:user@host;p>`, `tel:+1...`,
/// `sip:host`, or bare digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Lower-cased user part, parameters dropped (empty for `sip:host`).
    pub user: String,
    /// Lower-cased host, if a SIP URI.
    pub host: Option<String>,
    /// The number, if the user part is one: leading `+` kept, visual separators dropped.
    pub number: Option<String>,
}

impl Identity {
    pub fn parse(s: &str) -> Identity {
        let s = s.trim();
        let inner = match (s.find('<'), s.rfind('>')) {
            (Some(a), Some(b)) if a < b => &s[a + 1..b],
            _ => s,
        };
        let lower = inner.trim().to_ascii_lowercase();
        let (user, host) =
            if let Some(rest) = ["sip:", "sips:"].iter().find_map(|p| lower.strip_prefix(p)) {
                let rest = rest.split('?').next().unwrap_or_default();
                match rest.split_once('@') {
                    Some((u, h)) => (
                        u.split(';').next().unwrap_or_default().to_owned(),
                        Some(host_only(h)),
                    ),
                    None => (String::new(), Some(host_only(rest))),
                }
            } else if let Some(rest) = lower.strip_prefix("tel:") {
                (rest.split(';').next().unwrap_or_default().to_owned(), None)
            } else {
                (lower.split(';').next().unwrap_or_default().to_owned(), None)
            };
        let number = number_of(&user);
        Identity { user, host, number }
    }

    /// Does this identity match one `callback_from` pattern? Patterns: `sip:user@host` (with `*`/`?`),
    /// `@host` (a whole domain), or a number pattern (`+1555*`, `911`).
    pub fn matches(&self, pattern: &str) -> bool {
        let p = pattern.trim().to_ascii_lowercase();
        if p.is_empty() {
            return false;
        }
        if let Some(domain) = p.strip_prefix('@') {
            return self.host.as_deref().is_some_and(|h| glob(domain, h));
        }
        if p.starts_with("sip:") || p.starts_with("sips:") || p.contains('@') {
            let pid = Identity::parse(&p);
            let user_ok = glob(&pid.user, &self.user);
            let host_ok = match (&pid.host, &self.host) {
                (Some(ph), Some(h)) => glob(ph, h),
                (Some(_), None) => false,
                (None, _) => true,
            };
            return user_ok && host_ok;
        }
        let pat: String = p
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        self.number.as_deref().is_some_and(|n| glob(&pat, n))
    }

    /// Same line: numbers compare by digits, SIP identities by user and (when both have one) host.
    pub fn same_line(&self, other: &Identity) -> bool {
        if let (Some(a), Some(b)) = (&self.number, &other.number) {
            return a == b;
        }
        !self.user.is_empty()
            && self.user == other.user
            && match (&self.host, &other.host) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// What kind of caller an identity names, for the callback lock (see `arbitration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    /// A telephone number: E.164 (`+` and at least [`MIN_NUMBER_DIGITS`] digits), national digits (at least
    /// as many), or an emergency short number (a PSAP may present one).
    TelephoneNumber,
    /// No identity given: anonymous, withheld, an empty From. A PSAP may withhold its number.
    Withheld,
    /// An extension (a short digit string) or a name: internal traffic, never a dispatcher by default.
    Internal,
}

/// Digits a telephone number has at least; shorter digit strings are extensions (they are 2 to 6 digits
/// in the PBXs we know, and the shortest national numbers 7).
pub const MIN_NUMBER_DIGITS: usize = 7;

/// User parts that say the caller's identity is withheld (RFC 3323 `anonymous`, and what carriers print).
const WITHHELD: [&str; 7] = [
    "",
    "anonymous",
    "unknown",
    "restricted",
    "withheld",
    "private",
    "unavailable",
];

impl Identity {
    /// See [`CallerKind`]. `is_emergency_number` says whether digits are an emergency short number.
    pub fn kind(&self, is_emergency_number: impl Fn(&str) -> bool) -> CallerKind {
        if WITHHELD.contains(&self.user.as_str())
            || self.host.as_deref() == Some("anonymous.invalid")
        {
            return CallerKind::Withheld;
        }
        match self.number.as_deref() {
            Some(n) => {
                let digits = n.trim_start_matches('+');
                if digits.len() >= MIN_NUMBER_DIGITS || is_emergency_number(digits) {
                    CallerKind::TelephoneNumber
                } else {
                    CallerKind::Internal
                }
            }
            None => CallerKind::Internal,
        }
    }
}

fn host_only(h: &str) -> String {
    h.split([';', '?', '>'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn number_of(user: &str) -> Option<String> {
    let mut out = String::new();
    for (i, c) in user.chars().enumerate() {
        match c {
            '+' if i == 0 => out.push(c),
            '0'..='9' => out.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    out.bytes().any(|b| b.is_ascii_digit()).then_some(out)
}

/// `*` matches any run (also empty), `?` exactly one character; everything else literally.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_read_from_every_usual_form() {
        let a = Identity::parse("\"PSAP\" <sip:PSAP@Lifeline.Lab;transport=udp>;tag=1");
        assert_eq!(
            (a.user.as_str(), a.host.as_deref()),
            ("psap", Some("lifeline.lab"))
        );
        let t = Identity::parse("tel:+1-555-0100;phone-context=x");
        assert_eq!(t.number.as_deref(), Some("+15550100"));
        let s = Identity::parse("sip:+15550100@gw.example;user=phone");
        assert_eq!(s.number.as_deref(), Some("+15550100"));
        assert_eq!(
            Identity::parse("sip:lifeline.lab").host.as_deref(),
            Some("lifeline.lab")
        );
    }

    #[test]
    fn callback_patterns_match_uris_domains_and_numbers() {
        let psap = Identity::parse("<sip:psap@lifeline.lab>");
        assert!(psap.matches("sip:psap@lifeline.lab"));
        assert!(psap.matches("sip:*@lifeline.lab"));
        assert!(psap.matches("@lifeline.lab"));
        assert!(!psap.matches("@evil.lab"));
        assert!(!psap.matches("sip:peer@lifeline.lab"));
        let num = Identity::parse("sip:+15550100@gw");
        assert!(num.matches("+1555*"));
        assert!(num.matches("+1 555 0100"));
        assert!(!num.matches("+1556*"));
        assert!(!psap.matches("+1555*"));
        assert!(!psap.matches(""));
    }

    proptest::proptest! {
        /// From/To values come from the network: parsing and matching never panic.
        #[test]
        fn parsing_and_matching_never_panic(s in "\\PC{0,80}", p in "\\PC{0,20}") {
            let id = Identity::parse(&s);
            let _ = id.matches(&p);
            let _ = id.same_line(&Identity::parse(&p));
        }
    }

    #[test]
    fn numbers_withheld_callers_and_extensions_are_told_apart() {
        let kind = |s: &str| Identity::parse(s).kind(|d| d == "911");
        for s in [
            "tel:+1-512-555-0142",
            "sip:+15125550142@gw.example;user=phone",
            "<sip:05125550142@lifeline.lab>",
            "sip:5550142@lifeline.lab",
            "sip:911@psap.example",
        ] {
            assert_eq!(kind(s), CallerKind::TelephoneNumber, "{s}");
        }
        for s in [
            "<sip:anonymous@anonymous.invalid>;tag=1",
            "sip:Anonymous@lifeline.lab",
            "sip:unknown@gw.example",
            "sip:restricted@gw.example",
            "sip:lifeline.lab",
            "",
        ] {
            assert_eq!(kind(s), CallerKind::Withheld, "{s}");
        }
        for s in [
            "sip:201@lifeline.lab",
            "sip:+4420@lifeline.lab",
            "sip:peer3@lifeline.lab",
            "\"Bob\" <sip:bob.smith@lifeline.lab>",
            "sip:psap@psap.example",
            "sip:555-0142x@lifeline.lab",
        ] {
            assert_eq!(kind(s), CallerKind::Internal, "{s}");
        }
    }

    #[test]
    fn glob_handles_stars_and_question_marks() {
        assert!(glob("*", ""));
        assert!(glob("a*c", "abbbc"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*.lab", "x.y.lab"));
        assert!(!glob("abc", "abcd"));
    }
}
