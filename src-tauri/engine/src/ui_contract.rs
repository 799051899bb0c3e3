//! The UI's copy of the API, generated: TypeScript types for [`Command`] and [`Event`] and every type they
//! contain, written by ts-rs from the serde attributes in `api.rs` (tags, `rename_all`, `flatten`, optional
//! fields), into `ui/src/engine/contract.ts`.
//!
//! The UI compiles against that file, so a change to `api.rs` that the UI does not follow is a type error
//! there, not a surprise at run time. This test fails when the checked-in file is not what `api.rs` gives
//! today; regenerate it with `npm --prefix ui run contract` (which runs this test with
//! `LIFELINE_WRITE_CONTRACT=1`) and commit both.
//!
//! The derives are test-only (`#[cfg_attr(test, derive(ts_rs::TS))]`): nothing of this ships. A type that
//! a message starts to carry (a new field's enum, say) needs the same line, or the test build stops with
//! "the trait `TS` is not implemented" for it.

use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use ts_rs::{Config, TypeVisitor, TS};

use crate::api::{Command, Event};

/// Where the UI keeps the generated file, from this crate's directory.
const OUT: &str = "../../ui/src/engine/contract.ts";

const HEADER: &str = "\
// GENERATED from src-tauri/engine/src/api.rs by src-tauri/engine/src/ui_contract.rs (ts-rs): do not edit.
// Regenerate with `npm --prefix ui run contract`; `cargo test` fails while this file is out of date.
";

/// Every declared type reachable from `Command` and `Event`, each once: name -> docs + declaration.
struct Collect<'a> {
    cfg: &'a Config,
    seen: HashSet<TypeId>,
    decls: BTreeMap<String, String>,
}

impl TypeVisitor for Collect<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Only types with a declaration of their own (structs and enums): primitives, Option, Vec and maps
        // are written inline where they are used.
        if T::output_path().is_none() || !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        let mut decl = T::docs().unwrap_or_default();
        decl.push_str("export ");
        decl.push_str(&pretty(&T::decl(self.cfg)));
        self.decls.insert(T::ident(self.cfg), decl);
        T::visit_dependencies(self);
    }
}

/// ts-rs writes each declaration on one line (its formatter would pull in a TypeScript parser): put each
/// member of a long union on its own line, and long objects or objects with field docs one field a line,
/// so that a change in `api.rs` is a readable diff.
fn pretty(decl: &str) -> String {
    let chars: Vec<char> = decl.chars().collect();
    let mut out = String::with_capacity(decl.len() * 2);
    // The declaration's members start at one level of indentation when the top-level union is split.
    let split_union = decl.len() > 100 && top_level_has(&chars, '|');
    let base = usize::from(split_union);
    // For each open brace: whether its body is laid out one field a line.
    let mut stack: Vec<bool> = Vec::new();
    // Parentheses group a union inside an intersection (a flattened enum): never split there.
    let mut parens = 0usize;
    let indent = |n: usize| "  ".repeat(n);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let depth = stack.len();
        let broken = stack.last().copied().unwrap_or(false);
        if c == '"' {
            let end = find(&chars, i + 1, |x| x == '"').unwrap_or(chars.len() - 1);
            out.extend(&chars[i..=end]);
            i = end + 1;
        } else if chars[i..].starts_with(&['/', '*', '*']) {
            let end = find_str(&chars, i, "*/").map_or(chars.len(), |e| e + 2);
            let text: String = chars[i..end].iter().collect();
            for (n, line) in text.lines().enumerate() {
                if n > 0 {
                    out.push('\n');
                    out.push_str(&indent(depth + base));
                    out.push(' ');
                }
                out.push_str(line.trim());
            }
            out.push('\n');
            out.push_str(&indent(depth + base));
            i = skip_space(&chars, end);
        } else if c == '{' {
            let close = matching(&chars, i);
            let body: String = chars[i..close].iter().collect();
            let multiline = body.contains("/**") || body.len() > 90;
            stack.push(multiline);
            out.push('{');
            if multiline {
                out.push('\n');
                out.push_str(&indent(depth + 1 + base));
                i = skip_space(&chars, i + 1);
            } else {
                i += 1;
            }
        } else if c == '}' {
            stack.pop();
            if broken {
                let trimmed = out.trim_end().len();
                out.truncate(trimmed);
                out.push('\n');
                out.push_str(&indent(depth - 1 + base));
            }
            out.push('}');
            i += 1;
        } else if c == ',' && broken {
            out.push(',');
            out.push('\n');
            out.push_str(&indent(depth + base));
            i = skip_space(&chars, i + 1);
        } else if c == '(' || c == ')' {
            parens = if c == '(' {
                parens + 1
            } else {
                parens.saturating_sub(1)
            };
            out.push(c);
            i += 1;
        } else if c == '|' && depth == 0 && parens == 0 && split_union {
            out.truncate(out.trim_end().len());
            out.push_str("\n  |");
            i += 1;
        } else if c == '='
            && depth == 0
            && split_union
            && out.starts_with("type")
            && !out.contains('=')
        {
            out.push_str("=\n  |");
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn top_level_has(chars: &[char], want: char) -> bool {
    let mut depth = 0i32;
    let mut in_str = false;
    for &c in chars {
        match c {
            '"' => in_str = !in_str,
            '{' | '(' | '[' if !in_str => depth += 1,
            '}' | ')' | ']' if !in_str => depth -= 1,
            c if c == want && depth == 0 && !in_str => return true,
            _ => {}
        }
    }
    false
}

fn find(chars: &[char], from: usize, f: impl Fn(char) -> bool) -> Option<usize> {
    (from..chars.len()).find(|&j| f(chars[j]))
}

fn find_str(chars: &[char], from: usize, pat: &str) -> Option<usize> {
    let pat: Vec<char> = pat.chars().collect();
    (from..chars.len()).find(|&j| chars[j..].starts_with(&pat))
}

fn skip_space(chars: &[char], from: usize) -> usize {
    find(chars, from, |x| !x.is_whitespace()).unwrap_or(chars.len())
}

/// The index of the `}` closing the `{` at `open`, skipping strings and doc comments.
fn matching(chars: &[char], open: usize) -> usize {
    let mut depth = 0;
    let mut j = open;
    while j < chars.len() {
        match chars[j] {
            '"' => j = find(chars, j + 1, |x| x == '"').unwrap_or(chars.len()),
            '/' if chars[j..].starts_with(&['/', '*', '*']) => {
                j = find_str(chars, j, "*/").map_or(chars.len(), |e| e + 1)
            }
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
        j += 1;
    }
    chars.len()
}

fn generate() -> String {
    // u64 fields (setup_ms, duration_s) are small counts; JSON.parse gives numbers, never bigints.
    let cfg = Config::new().with_large_int("number");
    let mut collect = Collect {
        cfg: &cfg,
        seen: HashSet::new(),
        decls: BTreeMap::new(),
    };
    collect.visit::<Command>();
    collect.visit::<Event>();
    let mut out = String::from(HEADER);
    // The two messages first, then what they contain, by name: a stable order for reviewable diffs.
    for first in ["Command", "Event"] {
        if let Some(decl) = collect.decls.remove(first) {
            out.push('\n');
            out.push_str(&decl);
            out.push('\n');
        }
    }
    for decl in collect.decls.values() {
        out.push('\n');
        out.push_str(decl);
        out.push('\n');
    }
    out
}

#[test]
fn the_ui_contract_is_generated_from_api_rs() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(OUT);
    let want = generate();
    if std::env::var_os("LIFELINE_WRITE_CONTRACT").is_some() {
        std::fs::write(&path, &want).expect("write the UI contract");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is not what api.rs generates: run `npm --prefix ui run contract` and commit the result",
        path.display()
    );
}

#[test]
fn the_contract_declares_every_message_and_what_it_contains() {
    let ts = generate();
    for name in [
        "Command",
        "Event",
        "CivicAddress",
        "DeviceInfo",
        "HistoryEntry",
        "MediaPath",
    ] {
        assert!(ts.contains(&format!("export type {name} =")), "{name}");
    }
    assert!(!ts.contains("bigint"), "counts are numbers in JSON");
}
