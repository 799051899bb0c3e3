//! The emergency-services warning agreement: which text applies, its version and its fingerprint.
//!
//! Texts live in `assets/agreement/<locale>/<version>.txt`; the first line is the title. A new version
//! (or an organisation's own text from policy) is a new fingerprint, so the agent is asked again.

use sha2::{Digest, Sha256};

/// The agreement version this build ships. Bump it together with new files under assets/agreement: a text
/// new or changed in any language is a new version, and every agent is asked again.
/// Version 2 added it, es, pt-BR, th, da, sl, ms and fil; en, fr and de are as in version 1.
pub const CURRENT_VERSION: &str = "2";

/// The shipped texts: a locale tag as the UI catalogues name it (assets/i18n), and the text.
const TEXTS: &[(&str, &str)] = &[
    ("en", include_str!("../../../assets/agreement/en/2.txt")),
    ("fr", include_str!("../../../assets/agreement/fr/2.txt")),
    ("de", include_str!("../../../assets/agreement/de/2.txt")),
    ("it", include_str!("../../../assets/agreement/it/2.txt")),
    ("es", include_str!("../../../assets/agreement/es/2.txt")),
    (
        "pt-BR",
        include_str!("../../../assets/agreement/pt-BR/2.txt"),
    ),
    ("th", include_str!("../../../assets/agreement/th/2.txt")),
    ("da", include_str!("../../../assets/agreement/da/2.txt")),
    ("sl", include_str!("../../../assets/agreement/sl/2.txt")),
    ("ms", include_str!("../../../assets/agreement/ms/2.txt")),
    ("fil", include_str!("../../../assets/agreement/fil/2.txt")),
];

/// The shipped text for a locale: the whole tag ("pt-BR"), else its language ("pt", "fil"), else English.
/// "de_DE.UTF-8" (a POSIX locale) and "pt_BR" read as "de-DE" and "pt-BR".
fn text_for(locale: &str) -> &'static (&'static str, &'static str) {
    let tag = locale
        .split(['.', '@'])
        .next()
        .unwrap_or_default()
        .replace('_', "-");
    let lang = tag.split('-').next().unwrap_or_default();
    TEXTS
        .iter()
        .find(|(l, _)| l.eq_ignore_ascii_case(&tag))
        .or_else(|| TEXTS.iter().find(|(l, _)| l.eq_ignore_ascii_case(lang)))
        .or_else(|| {
            // A language with a regional text only (pt-PT asks, pt-BR is shipped).
            TEXTS.iter().find(|(l, _)| {
                l.split('-')
                    .next()
                    .is_some_and(|base| base.eq_ignore_ascii_case(lang))
            })
        })
        .unwrap_or(&TEXTS[0])
}

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
        let (loc, raw) = text_for(locale);
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
    fn every_language_of_the_ui_has_its_agreement_picked_by_tag_then_language() {
        for (asked, shipped) in [
            ("pt-BR", "pt-BR"),
            ("pt_BR.UTF-8", "pt-BR"),
            ("pt-PT", "pt-BR"),
            ("fil-PH", "fil"),
            ("fil", "fil"),
            ("fi-FI", "en"),
            ("th_TH.UTF-8", "th"),
            ("es-US", "es"),
            ("es-PR", "es"),
            ("sl-SI", "sl"),
            ("da-DK", "da"),
            ("ms-MY", "ms"),
            ("it-IT", "it"),
            ("fr-CA", "fr"),
            ("EN-us", "en"),
        ] {
            assert_eq!(Agreement::shipped(asked).locale, shipped, "{asked}");
        }
    }

    #[test]
    fn each_language_has_its_own_text_and_english_french_german_are_as_in_version_1() {
        let mut fingerprints: Vec<String> = TEXTS
            .iter()
            .map(|(l, _)| Agreement::shipped(l).fingerprint())
            .collect();
        fingerprints.sort();
        fingerprints.dedup();
        assert_eq!(
            fingerprints.len(),
            TEXTS.len(),
            "two languages share a text"
        );
        for (version_1, version_2) in [
            (
                include_str!("../../../assets/agreement/en/1.txt"),
                include_str!("../../../assets/agreement/en/2.txt"),
            ),
            (
                include_str!("../../../assets/agreement/fr/1.txt"),
                include_str!("../../../assets/agreement/fr/2.txt"),
            ),
            (
                include_str!("../../../assets/agreement/de/1.txt"),
                include_str!("../../../assets/agreement/de/2.txt"),
            ),
        ] {
            assert_eq!(version_1, version_2);
        }
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
