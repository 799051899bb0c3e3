//! Any file IT (or anyone who can write one) puts where policy is read: JSON (Linux /etc/lifeline), a
//! managed-preferences plist or a .mobileconfig (macOS). Read, check and turn into a policy: answers with
//! the problems, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline_engine::policy::sources::plist::{mobileconfig_payload, plist_to_json};
use lifeline_engine::policy::{check_text, check_value};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = check_text(text, "fuzz.json");
    }
    if let Ok(v) = plist_to_json(data, "fuzz.plist") {
        let _ = check_value(&v);
    }
    if let Ok(v) = mobileconfig_payload(data, "fuzz.mobileconfig") {
        let _ = check_value(&v);
    }
});
