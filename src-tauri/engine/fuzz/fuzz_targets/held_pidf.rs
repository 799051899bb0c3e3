//! Any answer from a HELD server (RFC 5985; a PIDF-LO inside, RFC 4119/5139/5491): read it, validate the
//! civic address it holds, and write it back as the PIDF-LO of an emergency INVITE. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline_engine::location::held::parse_response;

fuzz_target!(|data: &[u8]| {
    let Ok(xml) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(loc) = parse_response(xml) {
        let _ = loc.address.validate();
        let _ = serde_json::to_string(&loc.address);
    }
});
