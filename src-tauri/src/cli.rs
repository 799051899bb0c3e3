//! Command-line options of the desktop app. Parsed by hand: the app takes only a few, and `--version` must
//! answer without a display (package smoke tests run it on headless machines).

use std::path::PathBuf;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    /// Start with the window hidden in the tray (what the start-at-login entry passes).
    pub minimized: bool,
    /// `tel:`/`sip:`/`sips:` links to show in the dialler (the OS passes a clicked link as an argument).
    pub links: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Run(Options),
    /// Print this and exit successfully (`--version`, `--help`).
    Exit(String),
}

/// The start-at-login entry's flag: open in the tray.
pub const MINIMIZED: &str = "--minimized";

const HELP: &str =
    "Usage: lifeline [--config FILE] [--data-dir DIR] [tel:NUMBER | sip:USER@HOST]\n\
  --config FILE    start-up configuration (server, domain, user, lab)\n\
  --data-dir DIR   where the local database lives\n\
  --minimized      start in the tray, the window hidden (the start-at-login entry uses it)\n\
  --version        print the version and exit\n\
  tel:/sip: link   fill the dialler with this number (never dials); handed to a running Lifeline;
                   given alone (no other option is taken with a link)";

impl Options {
    /// A launch carrying a `tel:`/`sip:` link (what the OS passes for a clicked link, which a web page can
    /// craft) takes links only: any other argument with it is refused, so a link can never bring its own
    /// `--config` (a file on a network share, say) or `--data-dir`.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
        let args: Vec<String> = args.into_iter().collect();
        if args.iter().any(|a| crate::deep_link::is_link_arg(a)) {
            if let Some(other) = args.iter().find(|a| !crate::deep_link::is_link_arg(a)) {
                return Err(format!(
                    "a tel:/sip: link is taken alone; {other:?} was refused with it (nothing was started)"
                ));
            }
            return Ok(Parsed::Run(Options {
                links: args,
                ..Options::default()
            }));
        }
        let mut o = Options::default();
        let mut it = args.into_iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--version" | "-V" => {
                    return Ok(Parsed::Exit(format!(
                        "lifeline {}",
                        env!("CARGO_PKG_VERSION")
                    )))
                }
                "--help" | "-h" => return Ok(Parsed::Exit(HELP.to_owned())),
                "--config" => o.config = Some(it.next().ok_or("--config needs a file")?.into()),
                MINIMIZED => o.minimized = true,
                "--data-dir" => {
                    o.data_dir = Some(it.next().ok_or("--data-dir needs a directory")?.into())
                }
                other => return Err(format!("unknown argument {other:?}\n{HELP}")),
            }
        }
        Ok(Parsed::Run(o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Parsed, String> {
        Options::parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn version_answers_without_starting() {
        assert!(matches!(parse(&["--version"]), Ok(Parsed::Exit(v)) if v.starts_with("lifeline ")));
    }

    #[test]
    fn config_and_data_dir_are_read() {
        let want = Options {
            config: Some("c.json".into()),
            data_dir: Some("/tmp/d".into()),
            minimized: false,
            links: vec![],
        };
        assert_eq!(
            parse(&["--config", "c.json", "--data-dir", "/tmp/d"]),
            Ok(Parsed::Run(want))
        );
        assert!(
            matches!(parse(&["--data-dir", "/tmp/d", "--minimized"]), Ok(Parsed::Run(o)) if o.minimized),
            "the start-at-login entry's flag"
        );
        assert!(
            parse(&["tel:911", "--minimized"]).is_err(),
            "a link is taken alone"
        );
    }

    #[test]
    fn a_tel_or_sip_link_is_taken_as_a_link_not_an_error() {
        let want = Options {
            links: vec!["tel:911".into(), "sip:bob@example.com".into()],
            ..Options::default()
        };
        assert_eq!(
            parse(&["tel:911", "sip:bob@example.com"]),
            Ok(Parsed::Run(want))
        );
        assert!(parse(&["mailto:x@example.com"]).is_err());
    }

    #[test]
    fn a_link_with_any_other_option_is_refused_and_the_refusal_names_the_option() {
        for args in [
            &["tel:911", "--config", "//share/x.json"][..],
            &["--config", "//share/x.json", "tel:911"],
            &["--data-dir", "/tmp/d", "sip:bob@example.com"],
            &["sip:bob@example.com", "--version"],
            &["tel:911", "--help"],
            &["tel:911", "--bogus"],
        ] {
            let err = parse(args).expect_err("refused");
            assert!(err.contains("taken alone"), "{err}");
            assert!(
                !err.contains("911") && !err.contains("bob"),
                "the link is not echoed: {err}"
            );
        }
        // Alone, links are still taken, and options without a link still work.
        assert!(
            matches!(parse(&["tel:911", "sip:bob@example.com"]), Ok(Parsed::Run(o)) if o.links.len() == 2)
        );
        assert!(matches!(parse(&["--config", "c.json"]), Ok(Parsed::Run(o)) if o.links.is_empty()));
    }

    #[test]
    fn a_missing_value_or_unknown_flag_is_an_error() {
        assert!(parse(&["--config"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }
}
