//! The emergency number table of the 17 supported countries, kept as data in
//! `assets/emergency-numbers.json` (equal to libphonenumber's emergency short numbers; see its SOURCE note)
//! and compiled into the binary so it is there even when nothing else is.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::location::country::{CountryCode, CountryError};

const TABLE_JSON: &str = include_str!("../../../../assets/emergency-numbers.json");

/// RFC 5031's generic emergency service.
pub const SOS_URN: &str = "urn:service:sos";
/// The two numbers people dial wherever they are; mapped to the local number where they are not native.
pub const UNIVERSAL: [&str; 2] = ["112", "911"];

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct TableFile {
    format: u32,
    countries: BTreeMap<String, CountryEntry>,
}

/// One country's emergency numbers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CountryEntry {
    /// What 112/911 (and home-country numbers) are mapped to where they are not native.
    pub primary: String,
    /// Number -> RFC 5031 service URN.
    pub numbers: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumbersError {
    #[error("the built-in emergency number table is damaged ({0}); reinstall Lifeline")]
    Damaged(String),
    #[error(transparent)]
    Country(#[from] CountryError),
    #[error(
        "no emergency numbers are known for {0}: supported are US CA PR GB IE AU NZ AT DE FR IT SI DK BR MY PH TH"
    )]
    Unsupported(CountryCode),
}

/// The table, validated: every country is an ISO code, every primary is one of its numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberTable {
    countries: BTreeMap<CountryCode, CountryEntry>,
}

/// What `lifeline-headless emergency-numbers --country XX` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountryNumbers {
    pub country: String,
    /// Native emergency numbers, sorted.
    pub numbers: Vec<String>,
    /// 112/911 where not native -> the local number dialled instead (policy `map`).
    pub mapped: BTreeMap<String, String>,
}

impl NumberTable {
    /// The table compiled into this binary (parsed once).
    pub fn builtin() -> Result<&'static NumberTable, NumbersError> {
        static TABLE: OnceLock<Result<NumberTable, NumbersError>> = OnceLock::new();
        TABLE
            .get_or_init(|| NumberTable::from_json(TABLE_JSON))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn from_json(json: &str) -> Result<NumberTable, NumbersError> {
        let file: TableFile =
            serde_json::from_str(json).map_err(|e| NumbersError::Damaged(e.to_string()))?;
        if file.format != 1 {
            return Err(NumbersError::Damaged(format!(
                "unknown format {}",
                file.format
            )));
        }
        let mut countries = BTreeMap::new();
        for (code, entry) in file.countries {
            let cc = CountryCode::parse(&code).map_err(|e| NumbersError::Damaged(e.to_string()))?;
            if !entry.numbers.contains_key(&entry.primary) {
                return Err(NumbersError::Damaged(format!(
                    "{code}: primary {} is not listed",
                    entry.primary
                )));
            }
            let bad = entry.numbers.iter().find(|(n, urn)| {
                n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || !is_sos_urn(urn)
            });
            if let Some((n, _)) = bad {
                return Err(NumbersError::Damaged(format!("{code}: bad entry {n}")));
            }
            countries.insert(cc, entry);
        }
        Ok(NumberTable { countries })
    }

    pub fn country(&self, cc: CountryCode) -> Result<&CountryEntry, NumbersError> {
        self.countries.get(&cc).ok_or(NumbersError::Unsupported(cc))
    }

    /// The service URN of `number` where the country is not known: the `hint` country's when it lists the
    /// number, else the one every listing country agrees on, else plain `urn:service:sos`; with the country
    /// whose URN it is when there is one. `None` when no supported country lists the number.
    pub fn anywhere(
        &self,
        number: &str,
        hint: Option<CountryCode>,
    ) -> Option<(Option<CountryCode>, &str)> {
        let mut listing = self
            .countries
            .iter()
            .filter_map(|(cc, e)| e.numbers.get(number).map(|urn| (*cc, urn.as_str())));
        let first = listing.next()?;
        if let Some(urn) = hint
            .and_then(|h| self.countries.get(&h))
            .and_then(|e| e.numbers.get(number))
        {
            return Some((hint, urn.as_str()));
        }
        if listing.all(|(_, urn)| urn == first.1) {
            Some((None, first.1))
        } else {
            Some((None, SOS_URN))
        }
    }

    pub fn countries(&self) -> impl Iterator<Item = CountryCode> + '_ {
        self.countries.keys().copied()
    }

    /// The listing for one country, as the CLI prints it.
    pub fn listing(&self, country: &str) -> Result<CountryNumbers, NumbersError> {
        let cc = CountryCode::parse(country)?;
        let entry = self.country(cc)?;
        let mut numbers: Vec<String> = entry.numbers.keys().cloned().collect();
        numbers.sort_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
        let mapped = UNIVERSAL
            .iter()
            .filter(|u| !entry.numbers.contains_key(**u))
            .map(|u| ((*u).to_owned(), entry.primary.clone()))
            .collect();
        Ok(CountryNumbers {
            country: cc.to_string(),
            numbers,
            mapped,
        })
    }
}

/// `lifeline-headless emergency-numbers --country XX`: one JSON line, or an error for an unknown country.
pub fn print_listing(country: &str, out: &mut dyn std::io::Write) -> Result<(), ListingError> {
    let listing = NumberTable::builtin()?.listing(country)?;
    let json = serde_json::to_string(&listing).map_err(|e| ListingError::Write(e.to_string()))?;
    writeln!(out, "{json}").map_err(|e| ListingError::Write(e.to_string()))
}

#[derive(Debug, thiserror::Error)]
pub enum ListingError {
    #[error(transparent)]
    Numbers(#[from] NumbersError),
    #[error("cannot write the listing: {0}")]
    Write(String),
}

/// `urn:service:sos` or one of its sub-services (`urn:service:sos.police`), compared case-insensitively.
pub fn is_sos_urn(s: &str) -> bool {
    service_labels(s, "urn:service:sos")
}

/// `urn:service:test.sos` or a sub-service of it (RFC 6881 ED-77: test calls).
pub fn is_test_urn(s: &str) -> bool {
    service_labels(s, "urn:service:test.sos")
}

fn service_labels(s: &str, base: &str) -> bool {
    let lower = s.trim().to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix(base) else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let Some(sub) = rest.strip_prefix('.') else {
        return false;
    };
    sub.split('.').all(|label| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> &'static NumberTable {
        NumberTable::builtin().expect("the built-in table parses")
    }

    #[test]
    fn the_built_in_table_covers_exactly_the_17_supported_countries() {
        let got: Vec<String> = table().countries().map(|c| c.to_string()).collect();
        let mut want: Vec<String> = crate::location::country::SUPPORTED
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn gb_lists_999_and_112_and_maps_911_to_999() {
        let l = table().listing("gb").expect("GB");
        assert_eq!(l.country, "GB");
        assert_eq!(l.numbers, vec!["112", "999"]);
        assert_eq!(l.mapped.get("911").map(String::as_str), Some("999"));
        assert_eq!(l.mapped.len(), 1);
    }

    #[test]
    fn puerto_rico_maps_112_to_911_and_us_maps_nothing() {
        let pr = table().listing("PR").expect("PR");
        assert_eq!(pr.mapped.get("112").map(String::as_str), Some("911"));
        assert!(table().listing("US").expect("US").mapped.is_empty());
    }

    #[test]
    fn unknown_and_unsupported_countries_are_clear_errors() {
        assert!(matches!(
            table().listing("XX"),
            Err(NumbersError::Country(_))
        ));
        assert!(matches!(
            table().listing("JP"),
            Err(NumbersError::Unsupported(_))
        ));
        assert!(table()
            .listing("JP")
            .map_err(|e| e.to_string())
            .unwrap_err()
            .contains("supported are"));
    }

    #[test]
    fn a_damaged_table_is_an_error_not_a_panic() {
        assert!(NumberTable::from_json("{").is_err());
        let bad_primary = r#"{"format":1,"countries":{"US":{"primary":"999","numbers":{"911":"urn:service:sos"}}}}"#;
        assert!(matches!(
            NumberTable::from_json(bad_primary),
            Err(NumbersError::Damaged(_))
        ));
    }

    #[test]
    fn sos_and_test_urns_are_recognised_with_sub_services_only() {
        assert!(is_sos_urn("urn:service:sos"));
        assert!(is_sos_urn("URN:Service:SOS.police"));
        assert!(!is_sos_urn("urn:service:sosfoo"));
        assert!(!is_sos_urn("urn:service:sos."));
        assert!(!is_sos_urn("urn:service:test.sos"));
        assert!(is_test_urn("urn:service:test.sos"));
        assert!(is_test_urn("urn:service:test.sos.fire"));
        assert!(!is_test_urn("urn:service:sos"));
    }
}
