//! Any remote SDP through what the engine reads and rewrites in it (codecs and payload types, the ICE
//! ufrag, the direction for hold, the default candidate): never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline_engine::media::sdp::{
    audio_formats, ice_ufrag, with_default_candidate, with_direction,
};
use lifeline_engine::media::Codec;

fuzz_target!(|data: &[u8]| {
    let Ok(sdp) = std::str::from_utf8(data) else {
        return;
    };
    let f = audio_formats(sdp);
    let _ = f.preferred_codec(&[Codec::Opus, Codec::Pcmu, Codec::Pcma]);
    for pt in [0u8, 8, 96, 101, 111, 127, 255] {
        let _ = (f.codec_of(pt), f.is_telephone_event(pt));
    }
    let _ = (f.telephone_event(8000), f.telephone_event(48000));
    let _ = ice_ufrag(sdp);
    for d in ["sendonly", "sendrecv", "recvonly", "inactive"] {
        let _ = with_direction(sdp, d);
    }
    let _ = with_default_candidate(sdp);
});
