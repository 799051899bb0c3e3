//! Any WebSocket frame through the SIP parser and into a signed-in user agent: parsing, every accessor the
//! UA uses, and the UA's handling of the message (responses to its REGISTER, requests from anyone) must
//! answer or drop, never panic.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use lifeline_engine::sip::message::parse;
use lifeline_engine::sip::{UaConfig, UserAgent};

fuzz_target!(|frame: &[u8]| {
    if let Ok(m) = parse(frame) {
        let _ = (m.method(), m.code(), m.reason(), m.cseq(), m.call_id());
        let _ = (m.from(), m.to(), m.from_tag(), m.to_tag(), m.top_branch());
        let _ = (m.content_type(), m.sdp(), m.has_mandatory_headers());
    }
    let now = Instant::now();
    let mut ua = UserAgent::new(UaConfig {
        domain: "lifeline.lab".into(),
        user: "agent".into(),
        password: "agent-secret".into(),
        secure: true,
        expires: 600,
        user_agent: "Lifeline/fuzz".into(),
    });
    ua.register(now);
    ua.handle_connected(now);
    while ua.poll_output().is_some() {}
    ua.handle_frame(frame, now);
    while ua.poll_output().is_some() {}
});
