//! DTMF between two engines with each telephone-event clock a far end may leave us: 48 kHz with Opus
//! (one timeline with the audio), 8 kHz with Opus (the events keep their own clock: the far end offered
//! only `telephone-event/8000`, as baresip and many gateways do) and 8 kHz with G.711.

use super::{side, wait_for, Codec, MediaConfig, MediaEvent, Side, VoiceProcessing};
use std::time::Duration;

/// `sdp` without its `telephone-event/<rate>` format, as a far end that does not know it would offer.
fn without_telephone_event(sdp: &str, rate: u32) -> String {
    let name = format!("telephone-event/{rate}");
    let Some(pt) = sdp.lines().find_map(|l| {
        let (pt, encoding) = l.strip_prefix("a=rtpmap:")?.split_once(' ')?;
        encoding
            .trim()
            .eq_ignore_ascii_case(&name)
            .then(|| pt.to_owned())
    }) else {
        return sdp.to_owned();
    };
    let (rtpmap, fmtp) = (format!("a=rtpmap:{pt} "), format!("a=fmtp:{pt} "));
    let mut out = String::new();
    for line in sdp.lines() {
        if line.starts_with(&rtpmap) || line.starts_with(&fmtp) {
            continue;
        }
        if line.starts_with("m=audio ") {
            let kept: Vec<&str> = line.split(' ').filter(|t| *t != pt).collect();
            out.push_str(&kept.join(" "));
        } else {
            out.push_str(line);
        }
        out.push_str("\r\n");
    }
    out
}

/// Connect `a` (offerer) and `b`, the offer passed through `far_end_offer` on its way.
async fn connect_through(a: &mut Side, b: &mut Side, far_end_offer: impl Fn(&str) -> String) {
    let offer = a.session.create_offer().await.expect("offer");
    let answer = b
        .session
        .accept_offer(&far_end_offer(&offer))
        .await
        .expect("answer");
    a.session
        .set_remote_answer(&answer)
        .await
        .expect("apply answer");
    for (s, who) in [(&mut *a, "a"), (&mut *b, "b")] {
        wait_for(&mut s.events, &format!("first packet ({who})"), |e| {
            matches!(e, MediaEvent::FirstPacket { .. })
        })
        .await;
    }
}

async fn digits_heard(s: &mut Side, n: usize) -> String {
    let mut got = String::new();
    for _ in 0..n {
        if let MediaEvent::DtmfReceived { digit } = wait_for(&mut s.events, "a digit", |e| {
            matches!(e, MediaEvent::DtmfReceived { .. })
        })
        .await
        {
            got.push(digit);
        }
    }
    got
}

/// Both sides send digits with the event clock `expected_rate`; each hears the other's, in order, once.
async fn digits_cross_in_order(
    codecs: Vec<Codec>,
    far_end_offer: impl Fn(&str) -> String,
    expected_rate: u32,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = MediaConfig {
        codecs,
        voice_processing: VoiceProcessing::off(),
        ..MediaConfig::default()
    };
    let mut a = side(dir.path(), "a", 1000.0, config.clone()).await;
    let mut b = side(dir.path(), "b", 440.0, config).await;
    connect_through(&mut a, &mut b, far_end_offer).await;
    for s in [&a, &b] {
        let clock = s.session.telephone_event().map(|(_, rate)| rate);
        assert_eq!(clock, Some(expected_rate), "the negotiated event clock");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.session.send_dtmf("1234#*").expect("dtmf a->b");
    b.session.send_dtmf("9A0").expect("dtmf b->a");
    assert_eq!(digits_heard(&mut b, 6).await, "1234#*");
    assert_eq!(digits_heard(&mut a, 3).await, "9A0");
    // Nothing more: each digit was reported once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for s in [&mut a, &mut b] {
        while let Ok(e) = s.events.try_recv() {
            assert!(
                !matches!(e, MediaEvent::DtmfReceived { .. }),
                "a digit reported twice: {e:?}"
            );
        }
    }
    for s in [a, b] {
        super::finish(s).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opus_with_a_48khz_event_clock_carries_digits_in_order_both_ways() {
    digits_cross_in_order(vec![Codec::Opus, Codec::Pcmu], str::to_owned, 48_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opus_with_only_an_8khz_event_clock_carries_digits_in_order_both_ways() {
    let far_end = |sdp: &str| without_telephone_event(sdp, 48_000);
    digits_cross_in_order(vec![Codec::Opus, Codec::Pcmu], far_end, 8_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opus_only_offer_still_has_an_8khz_event_clock_for_the_far_ends_that_know_no_other() {
    let far_end = |sdp: &str| without_telephone_event(sdp, 48_000);
    digits_cross_in_order(vec![Codec::Opus], far_end, 8_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pcmu_carries_digits_with_its_8khz_event_clock() {
    digits_cross_in_order(vec![Codec::Pcmu], str::to_owned, 8_000).await;
}

#[test]
fn a_far_end_without_a_format_offers_neither_its_rtpmap_nor_its_payload_type() {
    let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0 110 101\r\na=rtpmap:111 opus/48000/2\r\n\
               a=rtpmap:110 telephone-event/48000\r\na=fmtp:110 0-15\r\n\
               a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n";
    let out = without_telephone_event(sdp, 48_000);
    assert!(
        out.contains("m=audio 9 UDP/TLS/RTP/SAVPF 111 0 101\r\n"),
        "{out}"
    );
    assert!(!out.contains(":110 "), "{out}");
    assert!(out.contains("a=rtpmap:101 telephone-event/8000"), "{out}");
}
