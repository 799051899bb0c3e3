//! Command-line options of the desktop app. Parsed by hand: the app takes only a few, and `--version` must
//! answer without a display (package smoke tests run it on headless machines).

use std::path::PathBuf;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    /// `tel:`/`sip:`/`sips:` links to show in the dialler (the OS passes a clicked link as an argument).
    pub links: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Run(Options),
    /// Print this and exit successfully (`--version`, `--help`).
    Exit(String),
}

const HELP: &str =
    "Usage: lifeline [--config FILE] [--data-dir DIR] [tel:NUMBER | sip:USER@HOST]\n\
  --config FILE    start-up configuration (server, domain, user, lab)\n\
  --data-dir DIR   where the local database lives\n\
  --version        print the version and exit\n\
  tel:/sip: link   fill the dialler with this number (never dials); handed to a running Lifeline";

impl Options {
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
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
                "--data-dir" => {
                    o.data_dir = Some(it.next().ok_or("--data-dir needs a directory")?.into())
                }
                link if crate::deep_link::is_link_arg(link) => o.links.push(link.to_owned()),
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
            links: vec![],
        };
        assert_eq!(
            parse(&["--config", "c.json", "--data-dir", "/tmp/d"]),
            Ok(Parsed::Run(want))
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
    fn a_missing_value_or_unknown_flag_is_an_error() {
        assert!(parse(&["--config"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }
}
