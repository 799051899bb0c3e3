//! The keychain against the real OS store (on Linux the Secret Service of gnome-keyring).
//!
//! The `#[ignore]`d tests need an unlocked Secret Service on the session bus; `tests/engine/test_keychain.py`
//! starts a private one (`dbus-run-session` + `gnome-keyring-daemon --unlock`, with its own HOME) and runs
//! them one at a time (`--test-threads=1`: one test touches the keychain at a time). By hand:
//!
//! ```sh
//! dbus-run-session -- sh -c 'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null &&
//!   cargo test -p lifeline-engine --test keychain_live -- --ignored --test-threads=1'
//! ```
//!
//! "A fresh process" is this test binary run again on one test (`--exact NAME`), with what to check in
//! `LIFELINE_KEYCHAIN_*` variables; run without them, those child tests do nothing.
//!
//! One test needs no keychain and runs in every `cargo test`: without a session bus, opening the keychain
//! is the typed "no keychain service" error, not a panic.

use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use lifeline_engine::notify::SecretSource;
use lifeline_engine::secrets::{sip_account, Keychain, KeychainError};

const ACCOUNT_VAR: &str = "LIFELINE_KEYCHAIN_ACCOUNT";
const SECRET_VAR: &str = "LIFELINE_KEYCHAIN_SECRET";
const EXPECT_NO_SERVICE_VAR: &str = "LIFELINE_KEYCHAIN_EXPECT_NO_SERVICE";
const EXPECT_LOCKED_VAR: &str = "LIFELINE_KEYCHAIN_EXPECT_LOCKED";

/// Runs this binary again on the single (ignored) test `name`, with `env` set.
fn run_child(name: &str, env: &[(&str, &str)], remove: &[&str]) -> Output {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = Command::new(exe);
    cmd.args([
        "--exact",
        name,
        "--ignored",
        "--test-threads=1",
        "--nocapture",
    ]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    for k in remove {
        cmd.env_remove(k);
    }
    let out = cmd.output().expect("run the child test process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child {name} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{}-{nanos}", std::process::id())
}

fn open_live() -> Keychain {
    match Keychain::open() {
        Ok(k) => k,
        Err(e) => panic!("this test needs an unlocked Secret Service (see the file's docs): {e}"),
    }
}

#[test]
#[ignore = "needs an unlocked Secret Service: run by tests/engine/test_keychain.py"]
fn sip_password_saved_here_is_read_by_a_fresh_process_which_deletes_it() {
    let keychain = open_live();
    eprintln!("store: {}", keychain.vendor());
    let account = sip_account(&format!("live-{}", unique()), "lifeline.lab");
    // Not ASCII on purpose: the store must give back the same UTF-8.
    let secret = format!("pässwörd-{}-€", unique());
    keychain.save(&account, &secret).expect("save");
    assert_eq!(
        keychain.load(&account).expect("load here").as_deref(),
        Some(secret.as_str())
    );

    run_child(
        "child_reads_the_password_then_deletes_it",
        &[(ACCOUNT_VAR, &account), (SECRET_VAR, &secret)],
        &[],
    );

    assert_eq!(
        keychain.load(&account).expect("load after the child"),
        None,
        "the child deleted it"
    );
    assert!(
        !keychain.delete(&account).expect("delete again"),
        "nothing left to delete"
    );
}

#[test]
#[ignore = "child of sip_password_saved_here_is_read_by_a_fresh_process_which_deletes_it"]
fn child_reads_the_password_then_deletes_it() {
    let (Ok(account), Ok(secret)) = (std::env::var(ACCOUNT_VAR), std::env::var(SECRET_VAR)) else {
        return; // run on its own: nothing to check
    };
    let keychain = open_live();
    assert_eq!(
        keychain.load(&account).expect("load in the fresh process"),
        Some(secret)
    );
    assert!(
        keychain.delete(&account).expect("delete"),
        "the entry was there"
    );
    assert_eq!(keychain.load(&account).expect("load after delete"), None);
}

#[test]
#[ignore = "needs an unlocked Secret Service: run by tests/engine/test_keychain.py"]
fn saving_twice_keeps_one_entry_with_the_last_password() {
    let keychain = open_live();
    let account = sip_account(&format!("twice-{}", unique()), "lifeline.lab");
    keychain.save(&account, "first").expect("save");
    keychain.save(&account, "second").expect("save again");
    assert_eq!(
        keychain.load(&account).expect("load").as_deref(),
        Some("second")
    );
    assert!(keychain.delete(&account).expect("delete"));
    assert_eq!(
        keychain.load(&account).expect("load"),
        None,
        "one delete removed the only entry"
    );
}

/// IT provisions the SMTP password with the platform's tool (test_keychain.py uses `secret-tool store`)
/// under the `password_ref` name given in LIFELINE_KEYCHAIN_ACCOUNT; the notify module reads it.
#[test]
#[ignore = "run by tests/engine/test_keychain.py after it provisioned the entry with secret-tool"]
fn smtp_password_provisioned_by_it_resolves_as_the_notify_secret_source() {
    let (Ok(reference), Ok(secret)) = (std::env::var(ACCOUNT_VAR), std::env::var(SECRET_VAR))
    else {
        return;
    };
    let keychain = open_live();
    let source: &dyn SecretSource = &keychain;
    assert_eq!(source.secret(&reference), Ok(secret));
    assert!(
        source.secret(&format!("{reference}-missing")).is_err(),
        "a missing ref is an error, not empty"
    );
}

#[test]
fn without_a_session_bus_opening_the_keychain_is_a_typed_error() {
    if !cfg!(target_os = "linux") {
        return; // the other platforms' keychains need no bus
    }
    let out = run_child(
        "child_opens_the_keychain_expecting_no_service",
        &[
            (EXPECT_NO_SERVICE_VAR, "1"),
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/lifeline-test-bus",
            ),
        ],
        &["DISPLAY", "WAYLAND_DISPLAY"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("passwords cannot be remembered"),
        "{stdout}"
    );
}

#[test]
#[ignore = "child of without_a_session_bus_opening_the_keychain_is_a_typed_error (or run by test_keychain.py)"]
fn child_opens_the_keychain_expecting_no_service() {
    if std::env::var(EXPECT_NO_SERVICE_VAR).is_err() {
        return;
    }
    match Keychain::open() {
        Err(e @ KeychainError::NoService { .. }) => println!("typed error: {e}"),
        Err(other) => panic!("expected NoService, got {other:?}"),
        Ok(k) => panic!("a keychain opened without a usable service: {k:?}"),
    }
}

/// With the keyring locked and no way to prompt (headless), saving is the typed `Locked` error at once.
#[test]
#[ignore = "run by tests/engine/test_keychain.py with a locked gnome-keyring"]
fn child_saves_into_a_locked_keychain_expecting_the_locked_error() {
    if std::env::var(EXPECT_LOCKED_VAR).is_err() {
        return;
    }
    let keychain = open_live();
    let account = sip_account(&format!("locked-{}", unique()), "lifeline.lab");
    match keychain.save(&account, "never-stored") {
        Err(e @ KeychainError::Locked { .. }) => println!("typed error: {e}"),
        other => panic!("expected Locked, got {other:?}"),
    }
}
