//! What did the agent just dial? Ordinary, emergency, a test call, or an emergency number that policy
//! blocks here (with the local number to offer instead). Pure: the table, the dial context and the policy
//! are inputs.
//!
//! Rules, in order (RFC 6881 ED-8/9, Kari's Law):
//! 1. `urn:service:test.sos*` is a test call; `urn:service:sos*` is an emergency call to that service.
//! 2. `tel:` and `sip:`/`sips:` forms are reduced to their number (user part, parameters dropped); visual
//!    separators (space, `-`, `.`, `(`, `)`) are ignored.
//! 3. The number is tried as dialled, then without the outside-line prefix: with prefix "9", both "911"
//!    and "9911" are emergency calls. Direct dial always wins.
//! 4. A native number of the agent's country is dialled as is. 933 is a test call only in the US, where it
//!    is one (elsewhere it is an ordinary number); with no known country it is a test call, as rule 5 treats
//!    an emergency number of any country as one. 112/911 where not native,
//!    and the home country's numbers when abroad, are mapped to the local primary number (policy `map`)
//!    or blocked with that number offered (policy `block`): never a silent failure.
//! 5. With no known country (no location, no policy `location.country`, or a country without a table), a
//!    number that is an emergency number in any supported country is an emergency call, dialled as it is
//!    (999 for a UK agent whose location is not known yet must not go out as an ordinary call). The OS
//!    region only picks the service URN then: it never maps, blocks or makes a number ordinary, because
//!    many agents run an English (US) system wherever they are.

use serde::Serialize;

use super::numbers::{is_sos_urn, is_test_urn, NumberTable, SOS_URN, UNIVERSAL};
use super::policy::NumberMismatch;
use crate::location::country::CountryCode;

/// The US test number for emergency calls (placed to the lab's dispatcher, or the PSAP's test service).
pub const TEST_NUMBER: &str = "933";
/// The only country where [`TEST_NUMBER`] is a test number.
const TEST_NUMBER_COUNTRY: &str = "US";
pub const TEST_URN: &str = "urn:service:test.sos";

/// Where and how the agent dials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialContext {
    /// The country the agent is in (from the location, else policy `location.country`); `None` when unknown.
    pub country: Option<CountryCode>,
    /// The OS's region, a hint used only when `country` is unknown (rule 5).
    pub region_hint: Option<CountryCode>,
    /// The agent's home country, when travelling: its emergency numbers are recognised and mapped.
    pub home_country: Option<CountryCode>,
    /// The outside-line prefix of the dial plan (e.g. "9"); emergency numbers work with or without it.
    pub outside_prefix: Option<String>,
    /// Policy `emergency.number_mismatch`.
    pub mismatch: NumberMismatch,
}

/// Where an emergency (or test) call goes. `dialled` is what the agent typed: never log it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmergencyTarget {
    pub country: Option<CountryCode>,
    pub dialled: String,
    /// The number or URN to place in the Request-URI.
    pub to_dial: String,
    /// RFC 5031 service URN of the call.
    pub service_urn: String,
    /// True when `to_dial` differs from what was dialled (112/911 or a home number mapped).
    pub mapped: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlockReason {
    #[error(
        "{dialled} is not an emergency number in {country}: the emergency number here is {local}"
    )]
    NotLocal {
        dialled: String,
        country: CountryCode,
        local: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Classification {
    Ordinary,
    Emergency(EmergencyTarget),
    Test(EmergencyTarget),
    /// Policy `block`: show `reason` and offer to call `offer`.
    Blocked {
        reason: BlockReason,
        offer: String,
    },
}

impl Classification {
    pub fn is_emergency_or_test(&self) -> bool {
        matches!(self, Classification::Emergency(_) | Classification::Test(_))
    }
}

/// Classifies a dial string. Total: anything unrecognised is `Ordinary` (the SIP layer reports bad input).
pub fn classify(dialled: &str, ctx: &DialContext, table: &NumberTable) -> Classification {
    let s = strip_angle_brackets(dialled.trim());
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("urn:") {
        return classify_urn(s, ctx);
    }
    let number = if let Some(rest) = strip_scheme(&lower, &["sip:", "sips:"]) {
        let user = match rest.split_once('@') {
            Some((user, _host)) => user,
            None => return Classification::Ordinary,
        };
        let user = user.split(';').next().unwrap_or_default();
        if user.starts_with("urn:") {
            return classify_urn(user, ctx);
        }
        user.to_owned()
    } else if let Some(rest) = strip_scheme(&lower, &["tel:"]) {
        rest.split(';').next().unwrap_or_default().to_owned()
    } else {
        lower
    };
    let Some(digits) = visual_digits(&number) else {
        return Classification::Ordinary;
    };

    let mut candidates = vec![digits.as_str()];
    if let Some(prefix) = ctx.outside_prefix.as_deref().filter(|p| !p.is_empty()) {
        if let Some(rest) = digits.strip_prefix(prefix).filter(|r| !r.is_empty()) {
            candidates.push(rest);
        }
    }
    candidates
        .into_iter()
        .map(|n| classify_number(n, dialled.trim(), ctx, table))
        .find(|c| *c != Classification::Ordinary)
        .unwrap_or(Classification::Ordinary)
}

fn classify_urn(urn: &str, ctx: &DialContext) -> Classification {
    let urn = urn.trim().to_ascii_lowercase();
    let target = |urn: &str| EmergencyTarget {
        country: ctx.country,
        dialled: urn.to_owned(),
        to_dial: urn.to_owned(),
        service_urn: urn.to_owned(),
        mapped: false,
    };
    if is_test_urn(&urn) {
        Classification::Test(target(&urn))
    } else if is_sos_urn(&urn) {
        Classification::Emergency(target(&urn))
    } else {
        Classification::Ordinary
    }
}

fn classify_number(
    n: &str,
    dialled: &str,
    ctx: &DialContext,
    table: &NumberTable,
) -> Classification {
    let here = ctx
        .country
        .and_then(|cc| table.country(cc).ok().map(|e| (cc, e)));
    let target = |to_dial: &str, urn: &str, mapped: bool| EmergencyTarget {
        country: ctx.country,
        dialled: dialled.to_owned(),
        to_dial: to_dial.to_owned(),
        service_urn: urn.to_owned(),
        mapped,
    };
    if let Some((_, entry)) = here {
        if let Some(urn) = entry.numbers.get(n) {
            return Classification::Emergency(target(n, urn, false));
        }
    }
    if n == TEST_NUMBER && test_number_here(ctx) {
        return Classification::Test(target(n, TEST_URN, false));
    }
    let from_home = ctx
        .home_country
        .filter(|home| Some(*home) != ctx.country)
        .and_then(|home| table.country(home).ok())
        .is_some_and(|e| e.numbers.contains_key(n));
    if here.is_none() {
        // Unknown (or unsupported) country: an emergency number anywhere goes out as dialled; the network
        // knows better than we do where it is.
        if UNIVERSAL.contains(&n) {
            return Classification::Emergency(target(n, SOS_URN, false));
        }
        return match table.anywhere(n, ctx.region_hint) {
            Some((country, urn)) => Classification::Emergency(EmergencyTarget {
                country,
                ..target(n, urn, false)
            }),
            None => Classification::Ordinary,
        };
    }
    if !UNIVERSAL.contains(&n) && !from_home {
        return Classification::Ordinary;
    }
    match here {
        None => Classification::Ordinary,
        Some((cc, entry)) => {
            let local = entry.primary.as_str();
            let urn = entry
                .numbers
                .get(local)
                .map(String::as_str)
                .unwrap_or(SOS_URN);
            match ctx.mismatch {
                NumberMismatch::Map => Classification::Emergency(target(local, urn, true)),
                NumberMismatch::Block => Classification::Blocked {
                    reason: BlockReason::NotLocal {
                        dialled: n.to_owned(),
                        country: cc,
                        local: local.to_owned(),
                    },
                    offer: local.to_owned(),
                },
            }
        }
    }
}

/// 933 is a test call in the US only; with no known country it is one anywhere (rule 5). The OS region
/// never makes it ordinary, for the same reason it never makes 999 ordinary.
fn test_number_here(ctx: &DialContext) -> bool {
    ctx.country
        .is_none_or(|c| c.as_str() == TEST_NUMBER_COUNTRY)
}

fn strip_angle_brackets(s: &str) -> &str {
    match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => &s[a + 1..b],
        _ => s,
    }
}

fn strip_scheme<'a>(s: &'a str, schemes: &[&str]) -> Option<&'a str> {
    schemes.iter().find_map(|sch| s.strip_prefix(sch))
}

/// The digits of a dial string, ignoring visual separators; `None` if anything else is in it.
fn visual_digits(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '0'..='9' => out.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> &'static NumberTable {
        NumberTable::builtin().expect("table")
    }

    fn ctx(country: &str) -> DialContext {
        DialContext {
            country: CountryCode::parse(country).ok(),
            ..Default::default()
        }
    }

    fn to_dial(c: &Classification) -> Option<&str> {
        match c {
            Classification::Emergency(t) | Classification::Test(t) => Some(t.to_dial.as_str()),
            _ => None,
        }
    }

    #[test]
    fn home_country_numbers_are_dialled_as_they_are() {
        for (cc, n) in [
            ("US", "911"),
            ("GB", "999"),
            ("GB", "112"),
            ("AU", "000"),
            ("FR", "15"),
            ("TH", "1669"),
        ] {
            let c = classify(n, &ctx(cc), table());
            let Classification::Emergency(t) = &c else {
                panic!("{cc} {n}: {c:?}")
            };
            assert_eq!((t.to_dial.as_str(), t.mapped), (n, false), "{cc} {n}");
        }
        let de_police = classify("110", &ctx("DE"), table());
        assert!(
            matches!(&de_police, Classification::Emergency(t) if t.service_urn == "urn:service:sos.police")
        );
    }

    #[test]
    fn with_no_known_country_an_emergency_number_anywhere_is_one() {
        let unknown = DialContext::default();
        for n in ["999", "000", "111", "110", "15", "1669", "112", "911"] {
            let c = classify(n, &unknown, table());
            let Classification::Emergency(t) = &c else {
                panic!("{n}: {c:?}")
            };
            assert_eq!((t.to_dial.as_str(), t.mapped), (n, false), "{n}");
        }
        assert_eq!(
            classify("4711", &unknown, table()),
            Classification::Ordinary
        );
        // A country without a table counts as unknown.
        assert!(matches!(
            classify("999", &ctx("ES"), table()),
            Classification::Emergency(_)
        ));
        // A known country still decides: 999 is an ordinary number in the US.
        assert_eq!(
            classify("999", &ctx("US"), table()),
            Classification::Ordinary
        );
    }

    #[test]
    fn the_os_region_picks_the_service_but_never_makes_a_number_ordinary() {
        let us_system = DialContext {
            region_hint: CountryCode::parse("US").ok(),
            ..Default::default()
        };
        // A British agent on a US-English system, location not known yet: 999 is still an emergency call.
        let c = classify("999", &us_system, table());
        assert!(
            matches!(&c, Classification::Emergency(t) if t.to_dial == "999" && t.country.is_none()),
            "{c:?}"
        );
        // 110 is the police in Germany: with a German system the call is placed as Germany's.
        let de_system = DialContext {
            region_hint: CountryCode::parse("DE").ok(),
            ..Default::default()
        };
        let c = classify("110", &de_system, table());
        assert!(
            matches!(&c, Classification::Emergency(t) if t.service_urn == "urn:service:sos.police"
                && t.country.map(|c| c.to_string()).as_deref() == Some("DE")),
            "{c:?}"
        );
        let c = classify("110", &us_system, table());
        assert!(
            matches!(&c, Classification::Emergency(t) if t.service_urn == "urn:service:sos.police"
                && t.country.is_none()),
            "{c:?}"
        );
        // The hint never maps or blocks: 911 is dialled as it is.
        let gb_system = DialContext {
            region_hint: CountryCode::parse("GB").ok(),
            mismatch: NumberMismatch::Block,
            ..Default::default()
        };
        assert_eq!(to_dial(&classify("911", &gb_system, table())), Some("911"));
    }

    #[test]
    fn nine_one_one_in_britain_is_mapped_to_999() {
        let c = classify("911", &ctx("GB"), table());
        assert!(
            matches!(&c, Classification::Emergency(t) if t.to_dial == "999" && t.mapped && t.dialled == "911")
        );
        assert_eq!(to_dial(&classify("112", &ctx("NZ"), table())), Some("111"));
        assert_eq!(to_dial(&classify("911", &ctx("AU"), table())), Some("000"));
        assert_eq!(to_dial(&classify("112", &ctx("PR"), table())), Some("911"));
    }

    #[test]
    fn a_visitor_dialling_the_home_number_reaches_the_local_one() {
        let mut c = ctx("US");
        c.home_country = CountryCode::parse("DE").ok();
        assert_eq!(to_dial(&classify("110", &c, table())), Some("911"));
        // Without the home country, 110 is an ordinary US number.
        assert_eq!(
            classify("110", &ctx("US"), table()),
            Classification::Ordinary
        );
    }

    #[test]
    fn block_policy_says_why_and_offers_the_local_number() {
        let mut c = ctx("GB");
        c.mismatch = NumberMismatch::Block;
        let got = classify("911", &c, table());
        let Classification::Blocked { reason, offer } = got else {
            panic!("{got:?}")
        };
        assert_eq!(offer, "999");
        assert!(reason.to_string().contains("999"), "{reason}");
        // A native number is never blocked.
        assert!(matches!(
            classify("999", &c, table()),
            Classification::Emergency(_)
        ));
    }

    #[test]
    fn outside_line_prefix_never_stands_between_the_agent_and_911() {
        let mut c = ctx("US");
        c.outside_prefix = Some("9".into());
        assert_eq!(to_dial(&classify("911", &c, table())), Some("911"));
        assert_eq!(to_dial(&classify("9911", &c, table())), Some("911"));
        assert_eq!(to_dial(&classify("9112", &c, table())), Some("112"));
        assert_eq!(classify("95551234", &c, table()), Classification::Ordinary);
        c.outside_prefix = Some("0".into());
        assert_eq!(to_dial(&classify("0911", &c, table())), Some("911"));
        // GB with prefix 9: 999 is direct, 9999 is prefix + 999.
        let mut gb = ctx("GB");
        gb.outside_prefix = Some("9".into());
        assert_eq!(to_dial(&classify("999", &gb, table())), Some("999"));
        assert_eq!(to_dial(&classify("9999", &gb, table())), Some("999"));
    }

    #[test]
    fn test_calls_by_933_and_test_urn() {
        let c = classify("933", &ctx("US"), table());
        assert!(matches!(&c, Classification::Test(t) if t.service_urn == TEST_URN));
        let mut pre = ctx("US");
        pre.outside_prefix = Some("9".into());
        assert!(matches!(
            classify("9933", &pre, table()),
            Classification::Test(_)
        ));
        assert!(matches!(
            classify("urn:service:test.sos", &ctx("US"), table()),
            Classification::Test(_)
        ));
        assert!(matches!(
            classify("urn:service:test.sos.fire", &ctx("GB"), table()),
            Classification::Test(_)
        ));
    }

    #[test]
    fn nine_three_three_is_a_test_only_in_the_us() {
        assert!(matches!(
            classify("933", &ctx("US"), table()),
            Classification::Test(_)
        ));
        for cc in ["GB", "DE", "AU", "FR", "CA"] {
            assert_eq!(
                classify("933", &ctx(cc), table()),
                Classification::Ordinary,
                "{cc}"
            );
        }
        // Unknown country: a test number anywhere is one (as rule 5 does for emergency numbers), whatever
        // the OS region says.
        for hint in [None, CountryCode::parse("GB").ok()] {
            let unknown = DialContext {
                region_hint: hint,
                ..Default::default()
            };
            assert!(matches!(
                classify("933", &unknown, table()),
                Classification::Test(_)
            ));
        }
        // The test service URN is a test call everywhere.
        assert!(matches!(
            classify(TEST_URN, &ctx("GB"), table()),
            Classification::Test(_)
        ));
    }

    #[test]
    fn sos_urns_are_emergency_calls_to_their_service() {
        let c = classify("urn:service:sos.police", &ctx("DE"), table());
        assert!(
            matches!(&c, Classification::Emergency(t) if t.to_dial == "urn:service:sos.police")
        );
        assert!(matches!(
            classify("<URN:SERVICE:SOS>", &DialContext::default(), table()),
            Classification::Emergency(_)
        ));
        assert_eq!(
            classify("urn:service:sosx", &ctx("US"), table()),
            Classification::Ordinary
        );
        assert_eq!(
            classify("urn:service:counseling", &ctx("US"), table()),
            Classification::Ordinary
        );
    }

    #[test]
    fn tel_and_sip_forms_are_recognised() {
        for s in [
            "tel:911",
            "tel:911;phone-context=+1",
            "sip:911@lifeline.lab",
            "sips:911@lifeline.lab;user=phone",
            "SIP:911@LIFELINE.LAB",
            "\"Help\" <sip:911@lifeline.lab>",
            "sip:urn:service:sos@lifeline.lab",
            "9-1-1",
            " (911) ",
        ] {
            assert!(
                matches!(
                    classify(s, &ctx("US"), table()),
                    Classification::Emergency(_)
                ),
                "{s}"
            );
        }
        assert_eq!(
            to_dial(&classify("sip:911@lifeline.lab", &ctx("GB"), table())),
            Some("999")
        );
        assert!(matches!(
            classify("sip:933@lifeline.lab", &ctx("US"), table()),
            Classification::Test(_)
        ));
    }

    #[test]
    fn garbage_and_near_misses_are_ordinary() {
        for s in [
            "",
            "   ",
            "abc",
            "911abc",
            "*911",
            "#911",
            "+911",
            "9110",
            "91",
            "sip:lifeline.lab",
            "sip:peer@lifeline.lab",
            "tel:",
            "urn:",
            "１１２",
            "sip:@x",
            "💥",
        ] {
            assert_eq!(
                classify(s, &ctx("US"), table()),
                Classification::Ordinary,
                "{s:?}"
            );
        }
    }

    #[test]
    fn every_native_number_of_every_country_is_an_emergency_call_there() {
        for cc in table().countries() {
            let entry = table().country(cc).expect("entry");
            let c = DialContext {
                country: Some(cc),
                ..Default::default()
            };
            for (n, urn) in &entry.numbers {
                let got = classify(n, &c, table());
                assert!(
                    matches!(&got, Classification::Emergency(t) if &t.to_dial == n && &t.service_urn == urn && !t.mapped),
                    "{cc} {n}: {got:?}"
                );
            }
            for u in UNIVERSAL {
                let got = classify(u, &c, table());
                let want = if entry.numbers.contains_key(u) {
                    u
                } else {
                    entry.primary.as_str()
                };
                assert_eq!(to_dial(&got), Some(want), "{cc} {u}");
            }
        }
    }

    proptest::proptest! {
        /// Kari's Law: whatever outside-line prefix the dial plan uses, a native number works with and
        /// without it.
        #[test]
        fn any_outside_prefix_never_stands_in_the_way(prefix in "[0-9]{1,2}", pick in 0usize..64, c in 0usize..17) {
            let cc = table().countries().nth(c).expect("17 countries");
            let entry = table().country(cc).expect("entry");
            let n = entry.numbers.keys().nth(pick % entry.numbers.len()).expect("a number").clone();
            let ctx = DialContext { country: Some(cc), outside_prefix: Some(prefix.clone()), ..Default::default() };
            proptest::prop_assert!(matches!(classify(&n, &ctx, table()), Classification::Emergency(_)));
            let prefixed = format!("{prefix}{n}");
            proptest::prop_assert!(matches!(classify(&prefixed, &ctx, table()), Classification::Emergency(_)), "{}", prefixed);
        }

        #[test]
        fn classification_is_total_on_any_input(s in "\\PC{0,40}", c in 0usize..17) {
            let cc = table().countries().nth(c).expect("17 countries");
            let ctx = DialContext { country: Some(cc), outside_prefix: Some("9".into()), ..Default::default() };
            let _ = classify(&s, &ctx, table());
        }
    }

    #[test]
    fn without_a_known_country_112_and_911_still_work_as_dialled() {
        let none = DialContext::default();
        assert_eq!(to_dial(&classify("112", &none, table())), Some("112"));
        assert_eq!(to_dial(&classify("911", &none, table())), Some("911"));
        // A country outside the 17 behaves like an unknown one.
        assert_eq!(to_dial(&classify("112", &ctx("JP"), table())), Some("112"));
    }
}
