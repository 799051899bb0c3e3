//! `lifeline-headless` speaks the public JSON-lines API: commands on stdin, events on stdout.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Runs the binary with `lines` on stdin (then EOF) and returns every event it printed.
fn run(data_dir: &Path, lines: &[&str]) -> Vec<Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lifeline-headless"))
        .arg("--data-dir")
        .arg(data_dir)
        .env("LIFELINE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn lifeline-headless");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for l in lines {
            writeln!(stdin, "{l}").expect("write command");
        }
    }
    let out = BufReader::new(child.stdout.take().expect("stdout"));
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(&l.expect("line")).expect("every line is JSON"))
        .collect();
    assert!(child.wait().expect("wait").success());
    events
}

fn names(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["event"].as_str().expect("event name"))
        .collect()
}

#[test]
fn start_announces_itself_and_asks_for_the_agreement() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = run(dir.path(), &[r#"{"cmd":"quit"}"#]);
    let n = names(&events);
    assert_eq!(n[0], "app_info");
    assert!(n.contains(&"agreement_required"), "{n:?}");
    let agreement = events
        .iter()
        .find(|e| e["event"] == "agreement_required")
        .expect("agreement");
    assert_eq!(
        agreement["version"],
        lifeline_engine::agreement::CURRENT_VERSION
    );
    assert!(agreement["text"].as_str().expect("text").len() > 200);
}

#[test]
fn an_accepted_agreement_is_not_asked_again_after_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = run(
        dir.path(),
        &[r#"{"cmd":"accept_agreement"}"#, r#"{"cmd":"quit"}"#],
    );
    let accepted = first
        .iter()
        .find(|e| e["event"] == "agreement_accepted")
        .expect("accepted event");
    assert_eq!(accepted["text_sha256"].as_str().expect("sha").len(), 64);
    let second = run(dir.path(), &[r#"{"cmd":"quit"}"#]);
    let n = names(&second);
    assert!(
        n.contains(&"agreement_accepted") && !n.contains(&"agreement_required"),
        "{n:?}"
    );
}

#[test]
fn garbage_on_stdin_gets_an_error_event_and_the_engine_keeps_going() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = run(
        dir.path(),
        &[
            "{not json",
            r#"{"cmd":"fly"}"#,
            r#"{"cmd":"snapshot"}"#,
            r#"{"cmd":"quit"}"#,
        ],
    );
    let errors = events.iter().filter(|e| e["event"] == "error").count();
    assert_eq!(errors, 2, "{events:?}");
    let infos = events.iter().filter(|e| e["event"] == "app_info").count();
    assert_eq!(infos, 2, "the snapshot after the garbage was answered");
}

#[test]
fn closing_stdin_stops_the_engine_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = run(dir.path(), &[]);
    assert_eq!(names(&events)[0], "app_info");
}
