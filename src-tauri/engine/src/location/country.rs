//! ISO 3166-1 alpha-2 country codes, validated once at the edge so the rest of the engine can trust them.
//!
//! The list is data (249 officially assigned codes, ISO 3166-1 as of 2024), kept here rather than pulled
//! from a crate: it is two letters per country, changes about once a decade, and every crate offering it
//! brings names and currencies we do not need.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The officially assigned ISO 3166-1 alpha-2 codes, sorted (binary-searched).
const ISO_3166_ALPHA2: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX",
    "AZ", //
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", //
    "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW",
    "CX", "CY", "CZ", //
    "DE", "DJ", "DK", "DM", "DO", "DZ", //
    "EC", "EE", "EG", "EH", "ER", "ES", "ET", //
    "FI", "FJ", "FK", "FM", "FO", "FR", //
    "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT",
    "GU", "GW", "GY", //
    "HK", "HM", "HN", "HR", "HT", "HU", //
    "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", //
    "JE", "JM", "JO", "JP", //
    "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", //
    "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", //
    "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS",
    "MT", "MU", "MV", "MW", "MX", "MY", "MZ", //
    "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", //
    "OM", //
    "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", //
    "QA", //
    "RE", "RO", "RS", "RU", "RW", //
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", //
    "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW",
    "TZ", //
    "UA", "UG", "UM", "US", "UY", "UZ", //
    "VA", "VC", "VE", "VG", "VI", "VN", "VU", //
    "WF", "WS", //
    "YE", "YT", //
    "ZA", "ZM", "ZW",
];

/// The 17 countries whose emergency dialling Lifeline supports (the vendors' union).
pub const SUPPORTED: &[&str] = &[
    "US", "CA", "PR", "GB", "IE", "AU", "NZ", "AT", "DE", "FR", "IT", "SI", "DK", "BR", "MY", "PH",
    "TH",
];

/// A valid ISO 3166-1 alpha-2 code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode([u8; 2]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountryError {
    #[error("\"{0}\" is not a country code: use the two-letter ISO 3166 code, e.g. US, GB, DE")]
    NotTwoLetters(String),
    #[error("\"{0}\" is not an assigned ISO 3166 country code (examples: US, GB for the United Kingdom, DE)")]
    Unassigned(String),
}

impl CountryCode {
    /// Parses a code, accepting lower case and surrounding spaces ("gb" -> GB).
    pub fn parse(s: &str) -> Result<CountryCode, CountryError> {
        let up = s.trim().to_ascii_uppercase();
        let b = up.as_bytes();
        if b.len() != 2 || !b.iter().all(u8::is_ascii_uppercase) {
            return Err(CountryError::NotTwoLetters(s.to_owned()));
        }
        if ISO_3166_ALPHA2.binary_search(&up.as_str()).is_err() {
            return Err(CountryError::Unassigned(s.to_owned()));
        }
        Ok(CountryCode([b[0], b[1]]))
    }

    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII upper-case letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// One of the 17 countries with a built-in emergency number table.
    pub fn is_supported(&self) -> bool {
        SUPPORTED.contains(&self.as_str())
    }
}

/// The region of an OS locale tag ("en_GB.UTF-8", "en-GB", "de_DE@euro", "zh-Hans-CN" -> GB, GB, DE, CN):
/// the first two-letter subtag after the language. `None` for "C", "POSIX", a bare language or a
/// numeric region ("es-419"). A hint only: many agents run an English (US) system wherever they are.
pub fn region_of_locale(tag: &str) -> Option<CountryCode> {
    let tag = tag.split(['.', '@']).next().unwrap_or_default();
    tag.split(['_', '-'])
        .skip(1)
        .find(|sub| sub.len() == 2 && sub.bytes().all(|b| b.is_ascii_alphabetic()))
        .and_then(|sub| CountryCode::parse(sub).ok())
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for CountryCode {
    type Error = CountryError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CountryCode::parse(&s)
    }
}

impl From<CountryCode> for String {
    fn from(c: CountryCode) -> String {
        c.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_unique_and_complete() {
        assert!(ISO_3166_ALPHA2.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ISO_3166_ALPHA2.len(), 249);
    }

    #[test]
    fn codes_parse_case_insensitively_and_unassigned_ones_are_refused() {
        assert_eq!(
            CountryCode::parse(" gb ").map(|c| c.to_string()),
            Ok("GB".to_owned())
        );
        assert!(matches!(
            CountryCode::parse("UK"),
            Err(CountryError::Unassigned(_))
        ));
        assert!(matches!(
            CountryCode::parse("USA"),
            Err(CountryError::NotTwoLetters(_))
        ));
        assert!(matches!(
            CountryCode::parse("1A"),
            Err(CountryError::NotTwoLetters(_))
        ));
        assert!(matches!(
            CountryCode::parse(""),
            Err(CountryError::NotTwoLetters(_))
        ));
    }

    #[test]
    fn the_region_of_a_locale_tag_is_its_two_letter_subtag() {
        let region = |t: &str| region_of_locale(t).map(|c| c.to_string());
        assert_eq!(region("en_GB.UTF-8").as_deref(), Some("GB"));
        assert_eq!(region("en-GB").as_deref(), Some("GB"));
        assert_eq!(region("de_DE@euro").as_deref(), Some("DE"));
        assert_eq!(region("zh-Hans-CN").as_deref(), Some("CN"));
        assert_eq!(region("C.UTF-8"), None);
        assert_eq!(region("POSIX"), None);
        assert_eq!(region("fr"), None);
        assert_eq!(region("es-419"), None);
        assert_eq!(region("en-UK"), None, "UK is not an ISO code");
    }

    #[test]
    fn every_supported_country_is_an_iso_code() {
        for c in SUPPORTED {
            assert!(
                CountryCode::parse(c)
                    .map(|c| c.is_supported())
                    .unwrap_or(false),
                "{c}"
            );
        }
    }
}
