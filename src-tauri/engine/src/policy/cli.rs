//! `lifeline-headless policy ...`: the tools IT runs before deploying a policy.
//!
//! - `policy check FILE`: prints `OK` and exits 0 for a valid policy; otherwise prints one line per problem
//!   (key, value, what is allowed; or the line and column of a JSON error) on stderr and exits 1 (2 when
//!   the file cannot be read). `.plist` files are read as managed preferences, `.mobileconfig` files as a
//!   configuration profile (its `app.lifeline.softphone` payload); anything else as JSON.
//! - `policy schema`: prints the JSON Schema.
//! - `policy effective [--dir DIR] [--user FILE]`: prints the effective settings, the managed keys and the
//!   warnings, as the engine would start with them (`--dir` reads DIR/policy.json and DIR/policy.d instead
//!   of the platform's own policy).
//! - `policy show [--dir DIR] [--policy FILE] [--user FILE]`: every setting as JSON, with its effective value
//!   and its source (`registry`, `plist`, `file`, `user`, `default`) and where exactly; `--policy` adds a
//!   document on top, as the engine's own `--policy` does.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::check::{check_value, PolicyError};
use super::effective::load_effective;
use super::effective::SourceDoc;
use super::schema::policy_schema_text;
use super::show::show;
use super::sources::{etc::read_policy_dir, read_doc, read_managed_policy};

#[derive(clap::Subcommand, Debug)]
pub enum PolicyCommand {
    /// Check a policy file (JSON, managed-preferences .plist or .mobileconfig): "OK" or what is wrong.
    Check { file: PathBuf },
    /// Print the policy's JSON Schema.
    Schema,
    /// Print the effective settings (defaults < user settings < managed policy), managed keys and warnings.
    Effective {
        /// Read DIR/policy.json and DIR/policy.d/*.json instead of this machine's managed policy.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The user's settings (JSON).
        #[arg(long)]
        user: Option<PathBuf>,
    },
    /// Print every setting with its effective value and its source (registry, plist, file, user, default).
    Show {
        /// Read DIR/policy.json and DIR/policy.d/*.json instead of this machine's managed policy.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// One more policy document on top (JSON, .plist or .mobileconfig), like the engine's --policy.
        #[arg(long)]
        policy: Option<PathBuf>,
        /// The user's settings (JSON).
        #[arg(long)]
        user: Option<PathBuf>,
    },
}

/// Runs one command; returns the process exit code.
pub fn run(cmd: &PolicyCommand, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match cmd {
        PolicyCommand::Check { file } => check_file(file, out, err),
        PolicyCommand::Schema => match out.write_all(policy_schema_text().as_bytes()) {
            Ok(()) => 0,
            Err(_) => 2,
        },
        PolicyCommand::Effective { dir, user } => {
            let managed = managed_docs(dir.as_deref(), None);
            let user = user.as_ref().map(|p| read_doc(p));
            print_json(&load_effective(&managed, user.as_ref()), out, err)
        }
        PolicyCommand::Show { dir, policy, user } => {
            let managed = managed_docs(dir.as_deref(), policy.as_deref());
            let user = user.as_ref().map(|p| read_doc(p));
            print_json(&show(&managed, user.as_ref()), out, err)
        }
    }
}

/// This machine's managed policy (or DIR's files instead), then `extra` on top.
fn managed_docs(dir: Option<&Path>, extra: Option<&Path>) -> Vec<SourceDoc> {
    let mut docs = match dir {
        Some(d) => read_policy_dir(d),
        None => read_managed_policy(),
    };
    docs.extend(extra.map(read_doc));
    docs
}

fn print_json(value: &impl serde::Serialize, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match serde_json::to_string_pretty(value) {
        Ok(text) => {
            let _ = writeln!(out, "{text}");
            0
        }
        Err(e) => {
            let _ = writeln!(err, "cannot print the policy: {e}");
            2
        }
    }
}

fn check_file(path: &Path, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let d = read_doc(path);
    let errors = match &d.doc {
        Ok(v) => check_value(v),
        Err(e @ PolicyError::Unreadable { .. }) => {
            let _ = writeln!(err, "{e}");
            return 2;
        }
        Err(e) => vec![e.clone()],
    };
    if errors.is_empty() {
        let _ = writeln!(out, "OK");
        return 0;
    }
    for e in &errors {
        match e {
            PolicyError::Syntax { .. } => {
                let _ = writeln!(err, "{e}");
            }
            _ => {
                let _ = writeln!(err, "{}: {e}", d.source);
            }
        }
    }
    let consequence = if errors.iter().any(|e| e.key().is_none()) {
        "the engine would ignore this file"
    } else {
        "the engine would ignore these keys and use their defaults"
    };
    let _ = writeln!(err, "{} problem(s) found; {consequence}", errors.len());
    1
}
