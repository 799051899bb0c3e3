//! Reading the few facts the media pipeline needs from an SDP (RFC 8866): the audio payload types and
//! what they map to. The peer connection does the real negotiation; this only tells the media thread
//! which payload type carries which codec on the wire.

use super::codec::Codec;

/// One `a=rtpmap` of the audio section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    pub payload_type: u8,
    pub encoding: String,
    pub clock_rate: u32,
}

/// The audio section's formats, in the order of its `m=audio` line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AudioFormats {
    pub formats: Vec<RtpMap>,
    /// `a=sendrecv` / `sendonly` / `recvonly` / `inactive` of the audio section, if any.
    pub direction: Option<String>,
    /// Payload types whose `a=fmtp` says `useinbandfec=1`: the far end reads Opus in-band FEC
    /// (RFC 7587 section 6.1; without it, the default, FEC is wasted on it).
    pub inband_fec: Vec<u8>,
    /// `maxaveragebitrate` of each payload type's `a=fmtp` (RFC 7587 section 6.1): the most the far
    /// end wants to receive on average, bits per second.
    pub max_average_bitrate: Vec<(u8, u32)>,
}

impl AudioFormats {
    /// The first format that is a codec we support, with its payload type.
    pub fn preferred_codec(&self, allowed: &[Codec]) -> Option<(Codec, u8)> {
        self.formats.iter().find_map(|f| {
            Codec::from_encoding_name(&f.encoding)
                .filter(|c| allowed.contains(c) && c.clock_rate() == f.clock_rate)
                .map(|c| (c, f.payload_type))
        })
    }

    pub fn codec_of(&self, payload_type: u8) -> Option<Codec> {
        self.formats
            .iter()
            .find(|f| f.payload_type == payload_type)
            .and_then(|f| Codec::from_encoding_name(&f.encoding))
    }

    /// Payload type of telephone-event at this clock rate.
    pub fn telephone_event(&self, clock_rate: u32) -> Option<u8> {
        self.formats
            .iter()
            .find(|f| {
                f.encoding.eq_ignore_ascii_case("telephone-event") && f.clock_rate == clock_rate
            })
            .map(|f| f.payload_type)
    }

    /// Whether the far end decodes Opus in-band FEC sent with this payload type.
    pub fn uses_inband_fec(&self, payload_type: u8) -> bool {
        self.inband_fec.contains(&payload_type)
    }

    /// The far end's `maxaveragebitrate` for this payload type, within RFC 7587's 6000..=510000.
    pub fn max_average_bitrate(&self, payload_type: u8) -> Option<u32> {
        self.max_average_bitrate
            .iter()
            .find(|(pt, _)| *pt == payload_type)
            .map(|&(_, rate)| rate.clamp(6_000, 510_000))
    }

    pub fn is_telephone_event(&self, payload_type: u8) -> bool {
        self.formats.iter().any(|f| {
            f.payload_type == payload_type && f.encoding.eq_ignore_ascii_case("telephone-event")
        })
    }
}

/// Parse the first audio section. Static payload types without `a=rtpmap` (0 PCMU, 8 PCMA) are filled in.
/// The ICE username fragment of a description (session or media level, the first one).
pub fn ice_ufrag(sdp: &str) -> Option<&str> {
    sdp.lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .map(str::trim)
}

pub fn audio_formats(sdp: &str) -> AudioFormats {
    let mut in_audio = false;
    let mut seen_audio = false;
    let mut order: Vec<u8> = Vec::new();
    let mut maps: Vec<RtpMap> = Vec::new();
    let mut direction = None;
    let mut inband_fec = Vec::new();
    let mut max_average_bitrate = Vec::new();
    for line in sdp.lines().map(str::trim) {
        if let Some(m) = line.strip_prefix("m=") {
            if seen_audio {
                break;
            }
            in_audio = m.starts_with("audio ");
            if in_audio {
                seen_audio = true;
                order = m
                    .split_whitespace()
                    .skip(3)
                    .filter_map(|p| p.parse().ok())
                    .collect();
            }
            continue;
        }
        if !in_audio {
            continue;
        }
        if let Some(rest) = line.strip_prefix("a=rtpmap:") {
            let mut it = rest.splitn(2, ' ');
            let (Some(pt), Some(enc)) = (it.next(), it.next()) else {
                continue;
            };
            let Ok(payload_type) = pt.parse::<u8>() else {
                continue;
            };
            let mut parts = enc.split('/');
            let encoding = parts.next().unwrap_or_default().to_owned();
            let clock_rate = parts.next().and_then(|r| r.parse().ok()).unwrap_or(8000);
            maps.push(RtpMap {
                payload_type,
                encoding,
                clock_rate,
            });
        } else if let Some(rest) = line.strip_prefix("a=fmtp:") {
            let (pt, params) = rest.split_once(' ').unwrap_or((rest, ""));
            let Ok(pt) = pt.parse::<u8>() else {
                continue;
            };
            for (key, value) in params.split(';').filter_map(|p| p.split_once('=')) {
                let (key, value) = (key.trim(), value.trim());
                if key.eq_ignore_ascii_case("useinbandfec") && value == "1" {
                    inband_fec.push(pt);
                } else if key.eq_ignore_ascii_case("maxaveragebitrate") {
                    if let Ok(rate) = value.parse::<u32>() {
                        max_average_bitrate.push((pt, rate));
                    }
                }
            }
        } else if let Some(d) = line.strip_prefix("a=") {
            if matches!(d, "sendrecv" | "sendonly" | "recvonly" | "inactive") {
                direction = Some(d.to_owned());
            }
        }
    }
    let formats = order
        .iter()
        .filter_map(|&pt| {
            maps.iter()
                .find(|m| m.payload_type == pt)
                .cloned()
                .or(match pt {
                    0 => Some(RtpMap {
                        payload_type: 0,
                        encoding: "PCMU".into(),
                        clock_rate: 8000,
                    }),
                    8 => Some(RtpMap {
                        payload_type: 8,
                        encoding: "PCMA".into(),
                        clock_rate: 8000,
                    }),
                    _ => None,
                })
        })
        .collect();
    AudioFormats {
        formats,
        direction,
        inband_fec,
        max_average_bitrate,
    }
}

/// A copy of `sdp` for a re-offer on the same transport: every audio direction attribute replaced by
/// `direction` (`sendrecv`, `sendonly`, `recvonly`, `inactive`) and the `o=` session version incremented
/// (RFC 3264 section 8). ICE and DTLS attributes are kept, so the media path does not change.
pub fn with_direction(sdp: &str, direction: &str) -> String {
    let mut out = String::with_capacity(sdp.len() + 8);
    let mut in_audio = false;
    let mut wrote_direction = false;
    let eol = if sdp.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines = sdp.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("o=") {
            let mut parts: Vec<String> = rest.split(' ').map(str::to_owned).collect();
            if let Some(v) = parts.get_mut(2) {
                if let Ok(n) = v.parse::<u64>() {
                    // A far end's (or a fuzzer's) u64::MAX must not overflow: the version stays there.
                    *v = n.saturating_add(1).to_string();
                }
            }
            out.push_str("o=");
            out.push_str(&parts.join(" "));
            out.push_str(eol);
            continue;
        }
        if line.starts_with("m=") {
            in_audio = line.starts_with("m=audio");
            wrote_direction = false;
        }
        if in_audio
            && matches!(
                line,
                "a=sendrecv" | "a=sendonly" | "a=recvonly" | "a=inactive"
            )
        {
            if !wrote_direction {
                out.push_str("a=");
                out.push_str(direction);
                out.push_str(eol);
                wrote_direction = true;
            }
            continue;
        }
        out.push_str(line);
        out.push_str(eol);
        // An audio section without any direction attribute gets one after its m= line.
        if in_audio && line.starts_with("m=audio") && !section_has_direction(lines.clone()) {
            out.push_str("a=");
            out.push_str(direction);
            out.push_str(eol);
            wrote_direction = true;
        }
    }
    out
}

/// Put the default candidate into `c=` and the `m=audio` port (RFC 8839 section 4.2.1.2, JSEP 5.2.1):
/// a gathered SDP still saying `c=IN IP4 0.0.0.0` and port 9 looks like an old-style hold (RFC 2543)
/// to SIP middleboxes such as rtpengine, which then send nothing. The default is the first UDP
/// candidate of component 1 (host candidates come first).
pub fn with_default_candidate(sdp: &str) -> String {
    let candidate = sdp.lines().find_map(|l| {
        let f: Vec<&str> = l.strip_prefix("a=candidate:")?.split_whitespace().collect();
        // foundation component transport priority address port "typ" type
        (f.len() >= 8 && f[1] == "1" && f[2].eq_ignore_ascii_case("udp"))
            .then(|| (f[4].to_owned(), f[5].to_owned()))
    });
    let Some((address, port)) = candidate else {
        return sdp.to_owned();
    };
    let family = if address.contains(':') { "IP6" } else { "IP4" };
    let eol = if sdp.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = String::with_capacity(sdp.len() + 16);
    let mut in_audio = false;
    for line in sdp.lines() {
        if line.starts_with("m=") {
            in_audio = line.starts_with("m=audio ");
            if in_audio {
                let mut parts: Vec<&str> = line.split(' ').collect();
                if parts.len() > 1 {
                    parts[1] = &port;
                }
                out.push_str(&parts.join(" "));
                out.push_str(eol);
                continue;
            }
        }
        if in_audio && line.starts_with("c=IN ") {
            out.push_str(&format!("c=IN {family} {address}"));
            out.push_str(eol);
            continue;
        }
        out.push_str(line);
        out.push_str(eol);
    }
    out
}

fn section_has_direction<'a>(rest: impl Iterator<Item = &'a str>) -> bool {
    rest.take_while(|l| !l.starts_with("m="))
        .any(|l| matches!(l, "a=sendrecv" | "a=sendonly" | "a=recvonly" | "a=inactive"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\nc=IN IP4 0.0.0.0\r\n\
a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:63 red/48000/2\r\n\
a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:13 CN/8000\r\n\
a=rtpmap:110 telephone-event/48000\r\na=rtpmap:126 telephone-event/8000\r\na=sendrecv\r\n";

    /// Found by the `sdp` fuzz target: a session version of u64::MAX overflowed the re-offer's increment.
    #[test]
    fn a_session_version_at_its_maximum_does_not_panic_a_re_offer() {
        let sdp = "v==0\r\no=-K 1 00000000000000000018446744073709551615 IN\nm=- ";
        let out = with_direction(sdp, "sendonly");
        assert!(out.contains("o=-K 1 18446744073709551615 IN"), "{out}");
    }

    #[test]
    fn reads_chrome_audio_formats_in_order() {
        let f = audio_formats(CHROME_OFFER);
        assert_eq!(f.formats.len(), 8);
        assert_eq!(
            f.preferred_codec(&[Codec::Opus, Codec::Pcmu, Codec::Pcma]),
            Some((Codec::Opus, 111))
        );
        assert_eq!(f.preferred_codec(&[Codec::Pcmu]), Some((Codec::Pcmu, 0)));
        assert_eq!(f.telephone_event(48000), Some(110));
        assert_eq!(f.telephone_event(8000), Some(126));
        assert!(f.is_telephone_event(126));
        assert_eq!(f.codec_of(8), Some(Codec::Pcma));
        assert_eq!(f.direction.as_deref(), Some("sendrecv"));
        assert!(f.uses_inband_fec(111));
    }

    #[test]
    fn in_band_fec_only_where_the_far_end_asks_for_it() {
        // The lab's dispatcher (baresip 1.0 with its defaults) through rtpengine: no useinbandfec.
        let baresip = "v=0\r\nm=audio 30000 RTP/AVP 111 0\r\na=rtpmap:111 opus/48000/2\r\n\
                       a=fmtp:111 stereo=1;sprop-stereo=0;maxaveragebitrate=32000\r\n";
        assert!(!audio_formats(baresip).uses_inband_fec(111));
        let off =
            "m=audio 1 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=0\r\n";
        assert!(!audio_formats(off).uses_inband_fec(96));
        let spaced =
            "m=audio 1 RTP/AVP 96\r\na=fmtp:96 maxplaybackrate=16000; useinbandfec = 1\r\n";
        assert!(audio_formats(spaced).uses_inband_fec(96));
    }

    #[test]
    fn the_far_ends_maxaveragebitrate_is_read_per_payload_type() {
        // The lab's dispatcher (baresip behind rtpengine) asks for at most 32 kbit/s.
        let baresip = "m=audio 1 RTP/AVP 111 0\r\na=rtpmap:111 opus/48000/2\r\n\
                       a=fmtp:111 stereo=1;sprop-stereo=0;maxaveragebitrate=32000\r\n";
        let f = audio_formats(baresip);
        assert_eq!(f.max_average_bitrate(111), Some(32_000));
        assert_eq!(f.max_average_bitrate(0), None);
        let chrome = "m=audio 1 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n\
                      a=fmtp:111 minptime=10;useinbandfec=1\r\n";
        assert_eq!(audio_formats(chrome).max_average_bitrate(111), None);
        // Out of RFC 7587's range: held to it.
        let tiny = "m=audio 1 RTP/AVP 96\r\na=fmtp:96 maxaveragebitrate = 100\r\n";
        assert_eq!(audio_formats(tiny).max_average_bitrate(96), Some(6_000));
    }

    #[test]
    fn a_hold_re_offer_changes_only_the_direction_and_the_version() {
        let held = with_direction(CHROME_OFFER, "sendonly");
        assert!(held.contains("o=- 1 3 IN IP4 127.0.0.1\r\n"));
        assert!(held.contains("a=sendonly\r\n"));
        assert!(!held.contains("a=sendrecv"));
        assert_eq!(held.lines().count(), CHROME_OFFER.lines().count());
        assert_eq!(audio_formats(&held).direction.as_deref(), Some("sendonly"));
        let resumed = with_direction(&held, "sendrecv");
        assert!(resumed.contains("o=- 1 4 IN IP4"));
        assert_eq!(
            audio_formats(&resumed).formats,
            audio_formats(CHROME_OFFER).formats
        );
    }

    #[test]
    fn an_audio_section_without_direction_gets_one() {
        let held = with_direction(
            "v=0\r\no=- 5 7 IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
            "inactive",
        );
        assert!(
            held.contains("m=audio 4000 RTP/AVP 0\r\na=inactive\r\n"),
            "{held}"
        );
        assert!(held.contains("o=- 5 8 IN IP4"));
    }

    #[test]
    fn the_default_candidate_replaces_the_placeholder_address_and_port() {
        let ours = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n\
                    c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n\
                    a=candidate:1 1 udp 2130706431 127.0.0.1 48124 typ host\r\n\
                    a=candidate:1 2 udp 2130706431 127.0.0.1 48125 typ host\r\na=end-of-candidates\r\n";
        let fixed = with_default_candidate(ours);
        assert!(
            fixed.contains("m=audio 48124 UDP/TLS/RTP/SAVPF 111 0\r\n"),
            "{fixed}"
        );
        assert!(fixed.contains("c=IN IP4 127.0.0.1\r\n"), "{fixed}");
        assert!(fixed.contains("a=candidate:1 1 udp 2130706431 127.0.0.1 48124 typ host"));
        assert_eq!(fixed.lines().count(), ours.lines().count());
        // Without candidates nothing changes.
        assert_eq!(
            with_default_candidate("m=audio 9 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n"),
            "m=audio 9 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n"
        );
    }

    #[test]
    fn static_payload_types_need_no_rtpmap() {
        let f = audio_formats("m=audio 4000 RTP/AVP 0 8\r\n");
        assert_eq!(f.preferred_codec(&[Codec::Pcma]), Some((Codec::Pcma, 8)));
    }
}
