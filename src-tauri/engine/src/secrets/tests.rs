//! The keychain over keyring-core's mock store (in memory, errors injectable). The real Secret Service is
//! exercised by `tests/keychain_live.rs` and `tests/engine/test_keychain.py`.

use std::collections::HashMap;
use std::sync::Arc;

use keyring_core::mock;
use proptest::prelude::*;

use super::{sip_account, Keychain, KeychainError, SERVICE};
use crate::notify::{SecretError, SecretSource};

fn mock_keychain() -> (Keychain, Arc<mock::Store>) {
    let store = mock::Store::new().expect("mock store");
    (Keychain::with_store(store.clone(), SERVICE), store)
}

/// Makes the next call on `account`'s entry fail with `err`.
fn fail_next(store: &mock::Store, account: &str, err: keyring_core::Error) {
    use keyring_core::api::CredentialStoreApi;
    let entry = store.build(SERVICE, account, None).expect("mock entry");
    let cred: &mock::Cred = entry.as_any().downcast_ref().expect("a mock credential");
    cred.set_error(err);
}

fn boxed(msg: &str) -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(std::io::Error::other(msg.to_owned()))
}

#[test]
fn saved_sip_password_is_loaded_back() {
    let (keychain, _) = mock_keychain();
    let account = sip_account("agent", "lifeline.lab");
    keychain.save(&account, "agent-secret").expect("save");
    assert_eq!(
        keychain.load(&account).expect("load"),
        Some("agent-secret".to_owned())
    );
}

#[test]
fn unknown_entry_loads_as_none_not_as_an_error() {
    let (keychain, _) = mock_keychain();
    assert_eq!(
        keychain.load("sip:nobody@lifeline.lab").expect("load"),
        None
    );
}

#[test]
fn saving_again_replaces_the_password() {
    let (keychain, _) = mock_keychain();
    keychain
        .save("sip:agent@lifeline.lab", "old")
        .expect("save");
    keychain
        .save("sip:agent@lifeline.lab", "new")
        .expect("save again");
    assert_eq!(
        keychain
            .load("sip:agent@lifeline.lab")
            .expect("load")
            .as_deref(),
        Some("new")
    );
}

#[test]
fn delete_removes_the_entry_and_a_second_delete_finds_nothing() {
    let (keychain, _) = mock_keychain();
    keychain
        .save("sip:agent@lifeline.lab", "agent-secret")
        .expect("save");
    assert!(keychain.delete("sip:agent@lifeline.lab").expect("delete"));
    assert_eq!(keychain.load("sip:agent@lifeline.lab").expect("load"), None);
    assert!(!keychain
        .delete("sip:agent@lifeline.lab")
        .expect("second delete"));
}

#[test]
fn entries_of_different_accounts_do_not_mix() {
    let (keychain, _) = mock_keychain();
    keychain
        .save(&sip_account("agent", "lifeline.lab"), "a")
        .expect("save");
    keychain
        .save(&sip_account("agent2", "lifeline.lab"), "b")
        .expect("save");
    keychain.save("lifeline-smtp", "c").expect("save");
    assert_eq!(
        keychain
            .load(&sip_account("agent", "lifeline.lab"))
            .expect("load")
            .as_deref(),
        Some("a")
    );
    assert_eq!(
        keychain
            .load(&sip_account("agent2", "lifeline.lab"))
            .expect("load")
            .as_deref(),
        Some("b")
    );
    assert_eq!(
        keychain.load("lifeline-smtp").expect("load").as_deref(),
        Some("c")
    );
}

#[test]
fn keychains_with_different_service_names_do_not_see_each_others_entries() {
    let store = mock::Store::new().expect("mock store");
    let ours = Keychain::with_store(store.clone(), SERVICE);
    let other = Keychain::with_store(store, "some.other.app");
    ours.save("lifeline-smtp", "ours").expect("save");
    assert_eq!(other.load("lifeline-smtp").expect("load"), None);
}

#[test]
fn sip_account_names_lower_case_the_domain_but_keep_the_user() {
    assert_eq!(
        sip_account("Agent", "LifeLine.Lab"),
        "sip:Agent@lifeline.lab"
    );
    assert_eq!(
        sip_account(" agent ", " lifeline.lab"),
        "sip:agent@lifeline.lab"
    );
}

#[test]
fn empty_password_is_refused_with_a_typed_error() {
    let (keychain, _) = mock_keychain();
    let err = keychain
        .save("sip:agent@lifeline.lab", "")
        .expect_err("refused");
    assert_eq!(
        err,
        KeychainError::EmptySecret {
            account: "sip:agent@lifeline.lab".to_owned()
        }
    );
}

#[test]
fn entry_without_a_name_is_refused_before_reaching_the_store() {
    let (keychain, _) = mock_keychain();
    assert!(matches!(
        keychain.save("  ", "x"),
        Err(KeychainError::Rejected { .. })
    ));
    assert!(matches!(
        keychain.load(""),
        Err(KeychainError::Rejected { .. })
    ));
}

#[test]
fn locked_keychain_says_to_unlock_it() {
    let (keychain, store) = mock_keychain();
    fail_next(
        &store,
        "sip:agent@lifeline.lab",
        keyring_core::Error::NoStorageAccess(boxed("object locked")),
    );
    let err = keychain.load("sip:agent@lifeline.lab").expect_err("locked");
    assert!(matches!(err, KeychainError::Locked { .. }), "{err:?}");
    assert!(err.to_string().contains("unlock it"), "{err}");
}

#[test]
fn entry_that_is_not_text_is_reported_without_its_bytes() {
    let (keychain, store) = mock_keychain();
    fail_next(
        &store,
        "lifeline-smtp",
        keyring_core::Error::BadEncoding(b"s3cr\xffet".to_vec()),
    );
    let err = keychain.load("lifeline-smtp").expect_err("not text");
    assert_eq!(
        err,
        KeychainError::NotText {
            account: "lifeline-smtp".to_owned()
        }
    );
    assert!(!format!("{err} {err:?}").contains("s3cr"));
}

#[test]
fn platform_failure_on_save_is_a_typed_error_naming_the_entry() {
    let (keychain, store) = mock_keychain();
    fail_next(
        &store,
        "sip:agent@lifeline.lab",
        keyring_core::Error::PlatformFailure(boxed("D-Bus timeout")),
    );
    let err = keychain
        .save("sip:agent@lifeline.lab", "agent-secret")
        .expect_err("failed");
    assert!(matches!(&err, KeychainError::Failed { account, detail }
        if account == "sip:agent@lifeline.lab" && detail.contains("D-Bus timeout")));
    assert!(!err.to_string().contains("agent-secret"));
    // The failure was for that one call: the next one works.
    keychain
        .save("sip:agent@lifeline.lab", "agent-secret")
        .expect("save after the failure");
}

#[test]
fn too_long_and_invalid_names_are_rejections() {
    let (keychain, store) = mock_keychain();
    fail_next(
        &store,
        "x",
        keyring_core::Error::TooLong("user".to_owned(), 512),
    );
    assert!(
        matches!(keychain.save("x", "y"), Err(KeychainError::Rejected { reason, .. }) if reason.contains("512"))
    );
    fail_next(
        &store,
        "x",
        keyring_core::Error::Invalid("target".to_owned(), "cannot be empty".to_owned()),
    );
    assert!(matches!(
        keychain.delete("x"),
        Err(KeychainError::Rejected { .. })
    ));
}

#[test]
fn opening_fails_as_no_service_whatever_the_store_said() {
    let err = KeychainError::from_open(keyring_core::Error::PlatformFailure(boxed(
        "no session bus",
    )));
    assert_eq!(
        err,
        KeychainError::NoService {
            detail: "no session bus".to_owned()
        }
    );
    assert!(
        err.to_string().contains("passwords cannot be remembered"),
        "{err}"
    );
}

#[test]
fn smtp_password_ref_resolves_through_the_keychain() {
    let (keychain, _) = mock_keychain();
    keychain.save("lifeline-smtp", "smtp-secret").expect("save");
    let source: &dyn SecretSource = &keychain;
    assert_eq!(source.secret("lifeline-smtp"), Ok("smtp-secret".to_owned()));
}

#[test]
fn missing_smtp_password_ref_is_not_found_with_its_name() {
    let (keychain, _) = mock_keychain();
    assert_eq!(
        keychain.secret("lifeline-smtp"),
        Err(SecretError::NotFound("lifeline-smtp".to_owned()))
    );
}

#[test]
fn locked_keychain_makes_the_smtp_password_unavailable() {
    let (keychain, store) = mock_keychain();
    fail_next(
        &store,
        "lifeline-smtp",
        keyring_core::Error::NoStorageAccess(boxed("prompt dismissed")),
    );
    assert!(
        matches!(keychain.secret("lifeline-smtp"), Err(SecretError::Unavailable(msg)) if msg.contains("locked"))
    );
}

#[derive(Debug, Clone)]
enum Op {
    Save(usize, String),
    Load(usize),
    Delete(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..4usize, "[a-zA-Z0-9 !-~]{1,24}").prop_map(|(a, s)| Op::Save(a, s)),
        (0..4usize).prop_map(Op::Load),
        (0..4usize).prop_map(Op::Delete),
    ]
}

proptest! {
    /// Any sequence of save/load/delete behaves like a map from account to the last saved password.
    #[test]
    fn keychain_behaves_like_a_map_of_the_last_saved_password(ops in prop::collection::vec(op(), 1..40)) {
        let accounts = ["sip:agent@lifeline.lab", "sip:agent2@lifeline.lab", "lifeline-smtp", "sip:Agent@lifeline.lab"];
        let (keychain, _) = mock_keychain();
        let mut model: HashMap<&str, String> = HashMap::new();
        for op in ops {
            match op {
                Op::Save(a, s) => {
                    keychain.save(accounts[a], &s).expect("save");
                    model.insert(accounts[a], s);
                }
                Op::Load(a) => prop_assert_eq!(keychain.load(accounts[a]).expect("load"), model.get(accounts[a]).cloned()),
                Op::Delete(a) => prop_assert_eq!(keychain.delete(accounts[a]).expect("delete"), model.remove(accounts[a]).is_some()),
            }
        }
    }
}
