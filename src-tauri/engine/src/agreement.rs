//! The emergency-services warning agreement: which text applies, its version and its fingerprint.
//!
//! Texts live in `assets/agreement/<locale>/<version>.txt`; the first line is the title. A new version
//! (or an organisation's own text from policy) is a new fingerprint, so the agent is asked again.

use sha2::{Digest, Sha256};

/// The agreement version this build ships. Bump it together with new files under assets/agreement.
pub const CURRENT_VERSION: &str = "1";

const TEXTS: &[(&str, &str)] = &[
    ("en", include_str!("../../../assets/agreement/en/1.txt")),
    ("fr", include_str!("../../../assets/agreement/fr/1.txt")),
    ("de", include_str!("../../../assets/agreement/de/1.txt")),
];

/// One agreement text as shown to the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub version: String,
    pub locale: String,
    pub title: String,
    pub body: String,
}

impl Agreement {
    /// The shipped text for `locale` ("fr", "fr-CA", "de_DE.UTF-8" ...), English when there is none.
    pub fn shipped(locale: &str) -> Agreement {
        let lang = locale.get(..2).unwrap_or("en").to_ascii_lowercase();
        let (loc, raw) = TEXTS.iter().find(|(l, _)| *l == lang).unwrap_or(&TEXTS[0]);
        Agreement::from_text(CURRENT_VERSION, loc, raw)
    }

    /// An agreement from a raw text whose first line is the title (used for policy-supplied texts too).
    pub fn from_text(version: &str, locale: &str, raw: &str) -> Agreement {
        let raw = raw.trim();
        let (title, body) = raw.split_once('\n').unwrap_or((raw, ""));
        Agreement {
            version: version.to_owned(),
            locale: locale.to_owned(),
            title: title.trim().to_owned(),
            body: body.trim().to_owned(),
        }
    }

    /// SHA-256 of what the agent saw (version, title and body), hex encoded. Recorded with the acceptance.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.version.as_bytes());
        h.update([0]);
        h.update(self.title.as_bytes());
        h.update([0]);
        h.update(self.body.as_bytes());
        hex::encode(h.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_locale_has_a_title_and_a_body() {
        for (loc, _) in TEXTS {
            let a = Agreement::shipped(loc);
            assert_eq!(&a.locale, loc);
            assert!(!a.title.is_empty() && a.body.len() > 200, "{loc}");
        }
    }

    #[test]
    fn unknown_locale_falls_back_to_english() {
        assert_eq!(Agreement::shipped("xx_YY").locale, "en");
        assert_eq!(Agreement::shipped("").locale, "en");
        assert_eq!(Agreement::shipped("de_DE.UTF-8").locale, "de");
    }

    #[test]
    fn a_changed_text_has_a_new_fingerprint() {
        let a = Agreement::from_text("1", "en", "Title\nBody");
        let b = Agreement::from_text("1", "en", "Title\nBody changed");
        let c = Agreement::from_text("2", "en", "Title\nBody");
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
        assert_eq!(
            a.fingerprint(),
            Agreement::from_text("1", "en", " Title \n Body ").fingerprint()
        );
    }
}
