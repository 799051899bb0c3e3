//! A civic address with RFC 5139 element names, and its validation: is it a dispatchable address?
//!
//! Rules (per country where it matters; errors name the field and never echo its value, so they can be
//! logged):
//! - `country`: an ISO 3166 alpha-2 code (any country; the 17 supported ones get the checks below).
//! - A city: `A3`, or `PCN` (postal community name).
//! - A first-level division `A1` where addresses need one: US, CA, AU, BR, MY (state/province codes are
//!   checked for US, CA, AU, BR).
//! - A street: `RD` (or the legacy `A6`), unless a landmark `LMK` identifies the place; a house number
//!   `HNO`, unless a building `BLD`, a landmark or a location note `LOC` (house names) stands in for it.
//! - A postcode `PC` in GB, DE and FR (checked against the national format everywhere it has one).
//! - Every value: not blank, at most 256 characters, no control characters.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::country::CountryCode;

/// RFC 5139 civic address elements, declared in the schema's order (so `Ord` is document order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "UPPERCASE")]
pub enum CivicField {
    A1,
    A2,
    A3,
    A4,
    A5,
    A6,
    Prm,
    Prd,
    Rd,
    Sts,
    Pod,
    Pom,
    Rdsec,
    Rdbr,
    Rdsubbr,
    Hno,
    Hns,
    Lmk,
    Loc,
    Flr,
    Nam,
    Pc,
    Bld,
    Unit,
    Room,
    Seat,
    Plc,
    Pcn,
    Pobox,
    Addcode,
}

impl CivicField {
    pub const ALL: [CivicField; 30] = [
        CivicField::A1,
        CivicField::A2,
        CivicField::A3,
        CivicField::A4,
        CivicField::A5,
        CivicField::A6,
        CivicField::Prm,
        CivicField::Prd,
        CivicField::Rd,
        CivicField::Sts,
        CivicField::Pod,
        CivicField::Pom,
        CivicField::Rdsec,
        CivicField::Rdbr,
        CivicField::Rdsubbr,
        CivicField::Hno,
        CivicField::Hns,
        CivicField::Lmk,
        CivicField::Loc,
        CivicField::Flr,
        CivicField::Nam,
        CivicField::Pc,
        CivicField::Bld,
        CivicField::Unit,
        CivicField::Room,
        CivicField::Seat,
        CivicField::Plc,
        CivicField::Pcn,
        CivicField::Pobox,
        CivicField::Addcode,
    ];

    /// The element name, exactly as RFC 5139 spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            CivicField::A1 => "A1",
            CivicField::A2 => "A2",
            CivicField::A3 => "A3",
            CivicField::A4 => "A4",
            CivicField::A5 => "A5",
            CivicField::A6 => "A6",
            CivicField::Prm => "PRM",
            CivicField::Prd => "PRD",
            CivicField::Rd => "RD",
            CivicField::Sts => "STS",
            CivicField::Pod => "POD",
            CivicField::Pom => "POM",
            CivicField::Rdsec => "RDSEC",
            CivicField::Rdbr => "RDBR",
            CivicField::Rdsubbr => "RDSUBBR",
            CivicField::Hno => "HNO",
            CivicField::Hns => "HNS",
            CivicField::Lmk => "LMK",
            CivicField::Loc => "LOC",
            CivicField::Flr => "FLR",
            CivicField::Nam => "NAM",
            CivicField::Pc => "PC",
            CivicField::Bld => "BLD",
            CivicField::Unit => "UNIT",
            CivicField::Room => "ROOM",
            CivicField::Seat => "SEAT",
            CivicField::Plc => "PLC",
            CivicField::Pcn => "PCN",
            CivicField::Pobox => "POBOX",
            CivicField::Addcode => "ADDCODE",
        }
    }
}

impl fmt::Display for CivicField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A civic address as IT or the agent enters it: `{"country":"US","A1":"TX","A3":"Austin",...}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CivicAddress {
    pub country: String,
    /// Language of the text values (`xml:lang`), default "en".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(flatten)]
    pub fields: BTreeMap<CivicField, String>,
}

pub const MAX_VALUE_CHARS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CivicError {
    #[error("country: {0}")]
    Country(#[from] super::country::CountryError),
    #[error("{field} is required for a dispatchable address in {country}: {what}")]
    Missing {
        field: &'static str,
        country: CountryCode,
        what: &'static str,
    },
    #[error("{field} is not valid in {country}: expected {expected}")]
    Invalid {
        field: CivicField,
        country: CountryCode,
        expected: &'static str,
    },
    #[error("{field} is blank: remove it or fill it in")]
    Blank { field: CivicField },
    #[error("{field} is longer than {MAX_VALUE_CHARS} characters")]
    TooLong { field: CivicField },
    #[error("{field} contains control characters")]
    ControlCharacters { field: CivicField },
    #[error("lang is not a language tag such as en or fr-CA")]
    Lang,
}

/// Every problem found, so the agent can fix them in one go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the address cannot be used for emergency calls: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct CivicErrors(pub Vec<CivicError>);

impl CivicAddress {
    pub fn get(&self, f: CivicField) -> Option<&str> {
        self.fields.get(&f).map(String::as_str)
    }

    fn has(&self, f: CivicField) -> bool {
        self.get(f).is_some_and(|v| !v.trim().is_empty())
    }

    pub fn lang(&self) -> &str {
        self.lang.as_deref().unwrap_or("en")
    }

    /// Checks that this is a dispatchable address; returns the parsed country on success.
    pub fn validate(&self) -> Result<CountryCode, CivicErrors> {
        let mut errs = Vec::new();
        if let Some(lang) = &self.lang {
            let ok = !lang.is_empty()
                && lang.split('-').all(|p| {
                    (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric())
                });
            if !ok {
                errs.push(CivicError::Lang);
            }
        }
        for (field, value) in &self.fields {
            if value.trim().is_empty() {
                errs.push(CivicError::Blank { field: *field });
            } else if value.chars().count() > MAX_VALUE_CHARS {
                errs.push(CivicError::TooLong { field: *field });
            } else if value.chars().any(char::is_control) {
                errs.push(CivicError::ControlCharacters { field: *field });
            }
        }
        let cc = match CountryCode::parse(&self.country) {
            Ok(cc) => cc,
            Err(e) => {
                errs.push(e.into());
                return Err(CivicErrors(errs));
            }
        };
        self.check_required(cc, &mut errs);
        self.check_formats(cc, &mut errs);
        if errs.is_empty() {
            Ok(cc)
        } else {
            Err(CivicErrors(errs))
        }
    }

    fn check_required(&self, cc: CountryCode, errs: &mut Vec<CivicError>) {
        use CivicField::*;
        let missing = |field, what| CivicError::Missing {
            field,
            country: cc,
            what,
        };
        if ["US", "CA", "AU", "BR", "MY"].contains(&cc.as_str()) && !self.has(A1) {
            errs.push(missing("A1", "the state or province"));
        }
        if !self.has(A3) && !self.has(Pcn) {
            errs.push(missing(
                "A3",
                "the city (or PCN, the postal community name)",
            ));
        }
        let street = self.has(Rd) || self.has(A6);
        if !street && !self.has(Lmk) {
            errs.push(missing("RD", "the street (or LMK, a landmark)"));
        }
        if street && !self.has(Hno) && !self.has(Bld) && !self.has(Lmk) && !self.has(Loc) {
            errs.push(missing("HNO", "the house number (or BLD, the building)"));
        }
        if ["GB", "DE", "FR"].contains(&cc.as_str()) && !self.has(Pc) {
            errs.push(missing("PC", "the postcode"));
        }
    }

    fn check_formats(&self, cc: CountryCode, errs: &mut Vec<CivicError>) {
        if let Some(a1) = self
            .get(CivicField::A1)
            .map(|v| v.trim().to_ascii_uppercase())
        {
            if let Some((codes, expected)) = division_codes(cc) {
                if !codes.contains(&a1.as_str()) {
                    errs.push(CivicError::Invalid {
                        field: CivicField::A1,
                        country: cc,
                        expected,
                    });
                }
            }
        }
        if let Some(pc) = self
            .get(CivicField::Pc)
            .map(|v| v.trim().to_ascii_uppercase())
        {
            if let Some((re, expected)) = postcode_format(cc) {
                if !pc.is_empty() && !re.is_match(&pc) {
                    errs.push(CivicError::Invalid {
                        field: CivicField::Pc,
                        country: cc,
                        expected,
                    });
                }
            }
        }
    }
}

fn division_codes(cc: CountryCode) -> Option<(&'static [&'static str], &'static str)> {
    const US: &[&str] = &[
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
        "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
        "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
        "VA", "WA", "WV", "WI", "WY", "DC", "PR", "GU", "VI", "AS", "MP",
    ];
    const CA: &[&str] = &[
        "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
    ];
    const AU: &[&str] = &["NSW", "VIC", "QLD", "SA", "WA", "TAS", "NT", "ACT"];
    const BR: &[&str] = &[
        "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA", "PB",
        "PR", "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
    ];
    const PR: &[&str] = &["PR"];
    match cc.as_str() {
        "US" => Some((US, "a two-letter state code such as TX or DC")),
        "CA" => Some((CA, "a two-letter province code such as ON or QC")),
        "AU" => Some((AU, "a state code such as NSW or VIC")),
        "BR" => Some((BR, "a two-letter state code such as SP or RJ")),
        "PR" => Some((PR, "PR (or leave A1 out)")),
        _ => None,
    }
}

fn postcode_format(cc: CountryCode) -> Option<(&'static Regex, &'static str)> {
    static FORMATS: OnceLock<Vec<(&'static str, Regex, &'static str)>> = OnceLock::new();
    let formats = FORMATS.get_or_init(|| {
        POSTCODES
            .iter()
            .filter_map(|(c, re, ex)| Regex::new(re).ok().map(|r| (*c, r, *ex)))
            .collect()
    });
    formats
        .iter()
        .find(|(c, _, _)| *c == cc.as_str())
        .map(|(_, r, ex)| (r, *ex))
}

/// National postcode formats (upper-cased, trimmed input).
const POSTCODES: &[(&str, &str, &str)] = &[
    (
        "US",
        r"^\d{5}(-\d{4})?$",
        "a ZIP code such as 78701 or 78701-1234",
    ),
    ("PR", r"^00[679]\d{2}(-\d{4})?$", "a ZIP code such as 00901"),
    (
        "CA",
        r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$",
        "a postal code such as K1A 0B1",
    ),
    (
        "GB",
        r"^(GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})$",
        "a postcode such as SW1A 1AA",
    ),
    (
        "IE",
        r"^([AC-FHKNPRTV-Y]\d{2}|D6W) ?[0-9AC-FHKNPRTV-Y]{4}$",
        "an Eircode such as D02 X285",
    ),
    ("AU", r"^\d{4}$", "four digits"),
    ("NZ", r"^\d{4}$", "four digits"),
    ("AT", r"^\d{4}$", "four digits"),
    ("DK", r"^\d{4}$", "four digits"),
    ("PH", r"^\d{4}$", "four digits"),
    ("SI", r"^(SI-)?\d{4}$", "four digits, such as 1000"),
    ("DE", r"^\d{5}$", "five digits, such as 10117"),
    ("FR", r"^\d{5}$", "five digits, such as 75008"),
    ("IT", r"^\d{5}$", "five digits"),
    ("MY", r"^\d{5}$", "five digits"),
    ("TH", r"^\d{5}$", "five digits"),
    ("BR", r"^\d{5}-?\d{3}$", "a CEP such as 01310-100"),
];

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn addr(country: &str, fields: &[(CivicField, &str)]) -> CivicAddress {
        CivicAddress {
            country: country.into(),
            lang: None,
            fields: fields.iter().map(|(f, v)| (*f, (*v).to_owned())).collect(),
        }
    }

    fn missing_fields(a: &CivicAddress) -> Vec<&'static str> {
        match a.validate() {
            Ok(_) => vec![],
            Err(CivicErrors(v)) => v
                .into_iter()
                .filter_map(|e| match e {
                    CivicError::Missing { field, .. } => Some(field),
                    _ => None,
                })
                .collect(),
        }
    }

    use CivicField::*;

    #[test]
    fn a_full_us_address_is_dispatchable() {
        let a = addr(
            "US",
            &[
                (A1, "TX"),
                (A3, "Austin"),
                (Rd, "Congress"),
                (Sts, "Ave"),
                (Hno, "100"),
                (Pc, "78701"),
                (Flr, "3"),
                (Room, "301"),
            ],
        );
        assert_eq!(a.validate().map(|c| c.to_string()), Ok("US".into()));
    }

    #[test]
    fn missing_state_city_street_are_named() {
        assert_eq!(
            missing_fields(&addr("US", &[(Pc, "78701")])),
            vec!["A1", "A3", "RD"]
        );
        assert_eq!(
            missing_fields(&addr("US", &[(A1, "TX"), (A3, "Austin"), (Rd, "Congress")])),
            vec!["HNO"]
        );
        // A landmark stands in for the street; PCN for the city.
        assert!(addr("NZ", &[(Pcn, "Wellington"), (Lmk, "Te Papa")])
            .validate()
            .is_ok());
    }

    #[test]
    fn a_po_box_is_not_a_dispatchable_address() {
        assert_eq!(
            missing_fields(&addr("US", &[(A1, "TX"), (A3, "Austin"), (Pobox, "1234")])),
            vec!["RD"]
        );
    }

    #[test]
    fn state_and_province_codes_are_checked() {
        let bad = addr(
            "US",
            &[(A1, "XX"), (A3, "Austin"), (Rd, "Congress"), (Hno, "1")],
        );
        let Err(CivicErrors(e)) = bad.validate() else {
            panic!("accepted")
        };
        assert!(matches!(
            e.as_slice(),
            [CivicError::Invalid {
                field: CivicField::A1,
                ..
            }]
        ));
        assert!(addr(
            "CA",
            &[
                (A1, "qc"),
                (A3, "Montréal"),
                (Rd, "Sainte-Catherine"),
                (Hno, "1")
            ]
        )
        .validate()
        .is_ok());
        assert!(addr("CA", &[(A1, "TX"), (A3, "X"), (Rd, "Y"), (Hno, "1")])
            .validate()
            .is_err());
        assert!(addr(
            "PR",
            &[
                (A3, "San Juan"),
                (Rd, "Calle Fortaleza"),
                (Hno, "1"),
                (Pc, "00901")
            ]
        )
        .validate()
        .is_ok());
    }

    #[test]
    fn postcodes_follow_the_national_format() {
        let gb = |pc| {
            addr(
                "GB",
                &[
                    (A3, "London"),
                    (Rd, "Downing Street"),
                    (Hno, "10"),
                    (Pc, pc),
                ],
            )
            .validate()
            .is_ok()
        };
        assert!(gb("SW1A 2AA") && gb("sw1a2aa") && gb("M1 1AE") && gb("B33 8TH"));
        assert!(!gb("12345") && !gb("SW1A"));
        let de = |pc| {
            addr(
                "DE",
                &[
                    (A3, "Berlin"),
                    (Rd, "Unter den Linden"),
                    (Hno, "1"),
                    (Pc, pc),
                ],
            )
            .validate()
            .is_ok()
        };
        assert!(de("10117") && !de("1011") && !de("ABCDE"));
        let fr = |pc| {
            addr(
                "FR",
                &[(A3, "Paris"), (Rd, "Rue de Rivoli"), (Hno, "1"), (Pc, pc)],
            )
            .validate()
            .is_ok()
        };
        assert!(fr("75001") && !fr("750 01"));
        assert_eq!(
            missing_fields(&addr(
                "DE",
                &[(A3, "Berlin"), (Rd, "Unter den Linden"), (Hno, "1")]
            )),
            vec!["PC"]
        );
        let ca = |pc| {
            addr(
                "CA",
                &[
                    (A1, "ON"),
                    (A3, "Ottawa"),
                    (Rd, "Wellington"),
                    (Hno, "111"),
                    (Pc, pc),
                ],
            )
            .validate()
            .is_ok()
        };
        assert!(ca("K1A 0A9") && !ca("K1A 0A") && !ca("D1A 0A9"));
    }

    #[test]
    fn country_must_be_an_iso_code_and_errors_never_echo_values() {
        let a = addr("UK", &[(A3, "London")]);
        assert!(
            matches!(a.validate(), Err(CivicErrors(v)) if matches!(v.as_slice(), [CivicError::Country(_)]))
        );
        let secret = addr(
            "US",
            &[
                (A1, "ZZ"),
                (A3, "Springfield"),
                (Rd, "742 Evergreen Terrace"),
            ],
        );
        let msg = secret
            .validate()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            msg.contains("A1") && !msg.contains("Evergreen") && !msg.contains("ZZ"),
            "{msg}"
        );
        // Any ISO country is accepted with the generic rules.
        assert!(addr("JP", &[(A3, "Tokyo"), (Rd, "Chuo-dori"), (Hno, "1")])
            .validate()
            .is_ok());
    }

    #[test]
    fn blank_long_and_control_values_are_refused() {
        let mut a = addr(
            "US",
            &[
                (A1, "TX"),
                (A3, "Austin"),
                (Rd, "Congress"),
                (Hno, "1"),
                (Nam, "  "),
            ],
        );
        assert!(a.validate().is_err());
        a.fields.insert(Nam, "x".repeat(300));
        assert!(
            matches!(a.validate(), Err(CivicErrors(v)) if v == vec![CivicError::TooLong { field: Nam }])
        );
        a.fields.insert(Nam, "a\u{0}b".into());
        assert!(
            matches!(a.validate(), Err(CivicErrors(v)) if v == vec![CivicError::ControlCharacters { field: Nam }])
        );
    }

    #[test]
    fn addresses_read_from_json_with_rfc_5139_names() {
        let a: CivicAddress = serde_json::from_str(
            r#"{"country":"GB","A3":"London","RD":"Downing Street","HNO":"10","PC":"SW1A 2AA","lang":"en-GB"}"#,
        )
        .expect("parse");
        assert_eq!(a.get(Hno), Some("10"));
        assert!(a.validate().is_ok());
        assert!(serde_json::from_str::<CivicAddress>(r#"{"country":"GB","STREET":"x"}"#).is_err());
    }

    #[test]
    fn every_postcode_pattern_compiles() {
        for (c, re, _) in POSTCODES {
            assert!(Regex::new(re).is_ok(), "{c}");
        }
    }
}
