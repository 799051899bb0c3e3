//! The message catalogues the engine shares with the UI (`assets/i18n/<locale>/*.ftl`, Fluent syntax), and
//! dates and times formatted for a locale.
//!
//! The engine reads `notify.ftl` (emergency notices); the UI reads `lifeline.ftl`. A message missing in a
//! regional catalogue ("fr-CA") comes from its language ("fr"), then from English, so a variant holds only
//! what differs. Dates and times: ICU4X (`icu_datetime`, CLDR data compiled in), in the locale's own
//! calendar and pattern (Thai: Buddhist era), the way the UI's `Intl.DateTimeFormat` does it.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use icu_datetime::fieldsets::YMD;
use icu_datetime::input::{Date, DateTime, Time};
use icu_datetime::DateTimeFormatter;
use unic_langid::LanguageIdentifier;

macro_rules! notify_catalogues {
    ($($loc:literal),* $(,)?) => {
        &[$(($loc, include_str!(concat!("../../../assets/i18n/", $loc, "/notify.ftl")))),*]
    };
}

/// The shipped notice catalogues, English first (the source and the last fallback).
const NOTIFY: &[(&str, &str)] =
    notify_catalogues!["en", "fr", "de", "pt-BR", "th", "it", "es", "da", "sl", "ms", "fil"];

type Bundle = FluentBundle<FluentResource>;

struct Shipped {
    locale: &'static str,
    bundle: Bundle,
    reviewed: bool,
}

fn shipped() -> &'static [Shipped] {
    static ALL: OnceLock<Vec<Shipped>> = OnceLock::new();
    ALL.get_or_init(|| {
        NOTIFY
            .iter()
            .filter_map(|(locale, source)| {
                let resource = match FluentResource::try_new((*source).to_owned()) {
                    Ok(r) => r,
                    Err((r, errors)) => {
                        // The catalogue check (tests) refuses this; a shipped build keeps what parsed.
                        tracing::warn!("assets/i18n/{locale}/notify.ftl: {} syntax errors", errors.len());
                        r
                    }
                };
                let reviewed = !resource.entries().any(|e| {
                    matches!(e, fluent_syntax::ast::Entry::Term(t) if t.id.name == "reviewed"
                        && matches!(t.value.elements.as_slice(),
                            [fluent_syntax::ast::PatternElement::TextElement { value }] if value.trim() == "no"))
                });
                let langid: LanguageIdentifier = locale.parse().ok()?;
                let mut bundle = Bundle::new_concurrent(vec![langid]);
                // No Unicode isolation marks: none of the shipped languages is right-to-left, and mail
                // clients show the marks as boxes.
                bundle.set_use_isolating(false);
                if let Err(errors) = bundle.add_resource(resource) {
                    tracing::warn!("assets/i18n/{locale}/notify.ftl: {} duplicate messages", errors.len());
                }
                Some(Shipped { locale, bundle, reviewed })
            })
            .collect()
    })
}

/// A language tag as BCP 47 ("pt_BR.UTF-8" is "pt-BR"), or None when it is not one.
pub fn normalize(tag: &str) -> Option<LanguageIdentifier> {
    let tag = tag
        .trim()
        .split(['.', '@'])
        .next()
        .unwrap_or("")
        .replace('_', "-");
    tag.parse::<LanguageIdentifier>()
        .ok()
        .filter(|l| !l.language.is_empty())
}

/// The messages of one locale, with its fallbacks, and its date format.
pub struct Messages {
    chain: Vec<&'static Shipped>,
    locale: LanguageIdentifier,
}

impl Messages {
    /// For a contact's or an agent's `locale` ("pt-BR", "th", "fr_CA"); English when it is none we know.
    pub fn for_locale(tag: &str) -> Messages {
        let locale = normalize(tag).unwrap_or_else(|| "en".parse().unwrap_or_default());
        let region = locale.region.map(|r| format!("{}-{}", locale.language, r));
        let wanted = [
            region,
            Some(locale.language.to_string()),
            Some("en".to_owned()),
        ];
        let mut chain: Vec<&'static Shipped> = Vec::new();
        for want in wanted.iter().flatten() {
            if let Some(s) = shipped()
                .iter()
                .find(|s| s.locale.eq_ignore_ascii_case(want))
            {
                if !chain.iter().any(|c| std::ptr::eq(*c, s)) {
                    chain.push(s);
                }
            }
        }
        Messages { chain, locale }
    }

    /// The catalogue actually used first ("pt-BR", or "en" when the locale has none).
    pub fn catalogue(&self) -> &'static str {
        self.chain.first().map_or("en", |s| s.locale)
    }

    /// Whether a native speaker reviewed the first catalogue.
    pub fn reviewed(&self) -> bool {
        self.chain.first().is_none_or(|s| s.reviewed)
    }

    /// Message `id` with `args`, from the first catalogue that has it; the id itself when none does.
    pub fn text(&self, id: &str, args: &[(&str, &str)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, *value);
        }
        for s in &self.chain {
            let Some(pattern) = s.bundle.get_message(id).and_then(|m| m.value()) else {
                continue;
            };
            let mut errors = Vec::new();
            let text = s
                .bundle
                .format_pattern(pattern, Some(&fluent_args), &mut errors);
            if !errors.is_empty() {
                tracing::warn!("message {id} in {}: {errors:?}", s.locale);
            }
            return text.into_owned();
        }
        id.to_owned()
    }

    /// A wall-clock date and time as people of this locale write it (medium length, with seconds); None
    /// when ICU has no formatter for it (the caller writes ISO 8601 then).
    pub fn date_time(&self, t: time::PrimitiveDateTime) -> Option<String> {
        format_date_time(&self.locale, t)
    }
}

fn format_date_time(locale: &LanguageIdentifier, t: time::PrimitiveDateTime) -> Option<String> {
    let icu_locale = icu_locale_core::Locale::try_from_str(&locale.to_string()).ok()?;
    let formatter =
        DateTimeFormatter::try_new(icu_locale.into(), YMD::medium().with_time_hms()).ok()?;
    let date = Date::try_new_iso(t.year(), t.month() as u8, t.day()).ok()?;
    let time = Time::try_new(t.hour(), t.minute(), t.second(), 0).ok()?;
    Some(formatter.format(&DateTime { date, time }).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn every_shipped_notice_catalogue_parses_without_errors() {
        for (locale, source) in NOTIFY {
            let parsed = FluentResource::try_new((*source).to_owned());
            assert!(
                parsed.is_ok(),
                "{locale}: {:?}",
                parsed.err().map(|(_, e)| e)
            );
        }
        assert_eq!(shipped().len(), NOTIFY.len());
    }

    #[test]
    fn every_notice_catalogue_in_assets_is_shipped() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/i18n");
        let entries = std::fs::read_dir(dir).expect("assets/i18n");
        for entry in entries.flatten() {
            let locale = entry.file_name().to_string_lossy().into_owned();
            if entry.path().join("notify.ftl").exists() {
                assert!(
                    NOTIFY.iter().any(|(l, _)| *l == locale),
                    "{locale}/notify.ftl is not in notify_catalogues!"
                );
            }
        }
    }

    #[test]
    fn a_locale_falls_back_to_its_language_then_to_english() {
        assert_eq!(Messages::for_locale("fr_CA.UTF-8").catalogue(), "fr");
        assert_eq!(Messages::for_locale("xx").catalogue(), "en");
        assert_eq!(Messages::for_locale("").catalogue(), "en");
        let m = Messages::for_locale("de");
        assert_eq!(m.text("no-such-message", &[]), "no-such-message");
        assert!(m
            .text("notify-subject-dialed", &[("agent", "Ada")])
            .contains("Ada"));
    }

    #[test]
    fn dates_are_written_the_way_the_locale_writes_them() {
        let t = datetime!(2026-11-21 16:00:05);
        assert_eq!(
            Messages::for_locale("en-US").date_time(t).as_deref(),
            Some("Nov 21, 2026, 4:00:05\u{202f}PM")
        );
        assert_eq!(
            Messages::for_locale("de").date_time(t).as_deref(),
            Some("21.11.2026, 16:00:05")
        );
    }
}
