//! Tests of [`super`]: the packets of one digit, the event clock (8 kHz and 48 kHz, matching the audio
//! clock or not) and the receiver's one-report-per-event rule.

use super::*;

/// 20 ms packets, as the media thread sends them.
const PERIOD_MS: u32 = 20;

fn run(sender: &mut DtmfSender, n: usize) -> Vec<DtmfTick> {
    (0..n).map(|_| sender.tick()).collect()
}

fn packets(ticks: &[DtmfTick]) -> Vec<DtmfPacket> {
    ticks
        .iter()
        .filter_map(|t| match t {
            DtmfTick::Event(p) => Some(*p),
            _ => None,
        })
        .collect()
}

/// Each event's (period index of its first packet, RTP timestamp).
fn starts(ticks: &[DtmfTick]) -> Vec<(usize, u32)> {
    ticks
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t {
            DtmfTick::Event(p) if p.start => Some((i, p.timestamp)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_digit_is_sent_with_growing_duration_marker_first_and_three_end_packets() {
    // 8 kHz telephone-event, 20 ms packets, 100 ms tone, 60 ms gap.
    let mut s = DtmfSender::new(8000, PERIOD_MS, 100, 60, 0);
    s.queue("5").expect("valid digit");
    let ticks = run(&mut s, 12);
    let events = packets(&ticks);
    assert_eq!(
        events.len(),
        5 + 2,
        "five tone packets, the last with E, then two more E"
    );
    assert!(events[0].start);
    assert!(events[1..].iter().all(|p| !p.start));
    let parsed: Vec<EventPayload> = events
        .iter()
        .filter_map(|p| decode_payload(&p.payload))
        .collect();
    assert!(parsed.iter().all(|e| e.event == 5 && e.volume == 10));
    assert_eq!(
        parsed.iter().map(|e| e.duration).collect::<Vec<_>>(),
        vec![160, 320, 480, 640, 800, 800, 800]
    );
    assert_eq!(parsed.iter().filter(|e| e.end).count(), 3);
    assert!(!parsed[3].end && parsed[4].end);
    assert_eq!(
        &ticks[7..10],
        &[DtmfTick::Pause, DtmfTick::Pause, DtmfTick::Pause]
    );
    assert_eq!(ticks[10], DtmfTick::Audio);
    assert!(s.is_idle());
}

#[test]
fn durations_use_the_telephone_event_clock() {
    let mut s = DtmfSender::new(48000, PERIOD_MS, 40, 0, 0);
    s.queue("#").expect("valid digit");
    let d: Vec<u16> = packets(&run(&mut s, 4))
        .iter()
        .filter_map(|p| decode_payload(&p.payload))
        .map(|e| e.duration)
        .collect();
    assert_eq!(d, vec![960, 1920, 1920, 1920]);
}

#[test]
fn with_equal_clock_rates_an_event_is_stamped_with_the_audio_timestamp_of_its_first_period() {
    // Opus with telephone-event/48000: one timeline. The media thread's audio timestamp of period n is
    // start + n * 960; the sender is ticked once per period from the same start.
    let start = 0xFFFF_F000; // wraps during the test
    let mut s = DtmfSender::new(48000, PERIOD_MS, 100, 60, start);
    let idle = run(&mut s, 7);
    assert!(idle.iter().all(|t| *t == DtmfTick::Audio));
    s.queue("12").expect("valid digits");
    let ticks = run(&mut s, 30);
    let audio_ts = |period: usize| start.wrapping_add(960 * (7 + period) as u32);
    let got = starts(&ticks);
    assert_eq!(got.len(), 2);
    for (period, ts) in got {
        assert_eq!(ts, audio_ts(period), "event starting at period {period}");
    }
    // Every packet of an event carries its start timestamp.
    let all = packets(&ticks);
    assert!(all[..7].iter().all(|p| p.timestamp == audio_ts(0)));
}

#[test]
fn an_8khz_event_clock_inside_a_48khz_audio_stream_counts_its_own_time() {
    // Opus with a far end that only has telephone-event/8000: the events keep an 8 kHz timeline, so two
    // digits 200 ms apart are 1600 units apart (not 9600, the 48 kHz distance, which reads as 1.2 s).
    let start = 1_000_000;
    let mut s = DtmfSender::new(8000, PERIOD_MS, 100, 60, start);
    run(&mut s, 50); // one second of audio first: the event clock moved on by 8000
    s.queue("1234").expect("valid digits");
    let ticks = run(&mut s, 60);
    let got = starts(&ticks);
    assert_eq!(got.len(), 4);
    assert_eq!(
        got[0].1,
        start + 8000,
        "one second after the start, at 8 kHz"
    );
    for pair in got.windows(2) {
        let (p0, t0) = pair[0];
        let (p1, t1) = pair[1];
        let elapsed_ms = (p1 - p0) as u32 * PERIOD_MS;
        assert_eq!(
            elapsed_ms, 200,
            "tone 100 + two more end packets 40 + gap 60"
        );
        assert_eq!(t1.wrapping_sub(t0), elapsed_ms * 8, "8 units per ms");
    }
    // Durations are in the same clock.
    let d: Vec<u16> = packets(&ticks)[..7]
        .iter()
        .filter_map(|p| decode_payload(&p.payload))
        .map(|e| e.duration)
        .collect();
    assert_eq!(d, vec![160, 320, 480, 640, 800, 800, 800]);
}

#[test]
fn the_event_clock_wraps_around_like_any_rtp_timestamp() {
    let mut s = DtmfSender::new(8000, PERIOD_MS, 100, 0, u32::MAX - 100);
    s.queue("99").expect("valid digits");
    let got = starts(&run(&mut s, 20));
    assert_eq!(got[0].1, u32::MAX - 100);
    assert_eq!(got[1].1, (u32::MAX - 100).wrapping_add(7 * 160));
}

#[test]
fn a_long_tone_is_cut_to_what_the_16_bit_duration_can_say() {
    // 2 s at 48 kHz would be 96000 units; one event carries at most 65535 (68 whole periods).
    let mut s = DtmfSender::new(48000, PERIOD_MS, 2000, 0, 0);
    s.queue("0").expect("valid digit");
    let events = packets(&run(&mut s, 200));
    let durations: Vec<u16> = events
        .iter()
        .filter_map(|p| decode_payload(&p.payload))
        .map(|e| e.duration)
        .collect();
    assert!(durations.windows(2).all(|w| w[0] <= w[1]), "{durations:?}");
    assert_eq!(durations.last().copied(), Some(68 * 960));
    assert!(s.is_idle());
}

#[test]
fn digits_map_to_rfc4733_event_codes() {
    assert_eq!(event_code('0'), Ok(0));
    assert_eq!(event_code('9'), Ok(9));
    assert_eq!(event_code('*'), Ok(10));
    assert_eq!(event_code('#'), Ok(11));
    assert_eq!(event_code('D'), Ok(15));
    assert_eq!(event_code('x'), Err(DtmfError::InvalidDigit('x')));
    for c in "0123456789*#ABCD".chars() {
        assert_eq!(event_code(c).ok().and_then(digit_of), Some(c));
    }
}

#[test]
fn invalid_digits_queue_nothing() {
    let mut s = DtmfSender::new(8000, PERIOD_MS, 100, 60, 0);
    assert!(s.queue("12x").is_err());
    assert!(s.is_idle());
}

proptest::proptest! {
    /// For any digits and event clock: each event starts once (marker), all its packets carry its start
    /// timestamp, its duration never shrinks and ends with exactly three end packets of the full
    /// duration, consecutive events are as far apart in event-clock units as in time, and the receiver
    /// reports the digits in order.
    #[test]
    fn every_digit_string_is_sent_as_well_formed_events(
        digits in "[0-9*#A-D]{1,12}",
        rate in proptest::sample::select(vec![8000u32, 16000, 48000]),
        start in proptest::num::u32::ANY,
        tone_ms in 40u32..300,
        gap_ms in 0u32..200,
    ) {
        let mut s = DtmfSender::new(rate, PERIOD_MS, tone_ms, gap_ms, start);
        s.queue(&digits).expect("valid digits");
        let units = rate / 1000 * PERIOD_MS;
        let mut events: Vec<(usize, u32, Vec<EventPayload>)> = Vec::new();
        let mut r = DtmfReceiver::default();
        let mut heard = String::new();
        for period in 0..10_000usize {
            if s.is_idle() {
                break;
            }
            if let DtmfTick::Event(p) = s.tick() {
                if p.start {
                    events.push((period, p.timestamp, Vec::new()));
                }
                let (_, ts, packets) = events.last_mut().expect("an event started with a marker");
                proptest::prop_assert_eq!(p.timestamp, *ts);
                packets.push(decode_payload(&p.payload).expect("4 bytes"));
                if let Some(d) = r.on_packet(p.timestamp, &p.payload) {
                    heard.push(d);
                }
            }
        }
        proptest::prop_assert!(s.is_idle());
        proptest::prop_assert_eq!(events.len(), digits.len());
        proptest::prop_assert_eq!(heard, digits);
        let full = ((tone_ms / PERIOD_MS).max(1) * units) as u16;
        for (period, ts, ev) in &events {
            proptest::prop_assert_eq!(*ts, start.wrapping_add(*period as u32 * units));
            proptest::prop_assert!(ev.windows(2).all(|w| w[0].duration <= w[1].duration));
            proptest::prop_assert_eq!(ev.iter().filter(|e| e.end).count(), END_REDUNDANCY as usize);
            proptest::prop_assert!(ev.iter().rev().take(3).all(|e| e.end && e.duration == full));
        }
    }
}

/// What a receiver hears of `digits` sent with this event clock.
fn heard(rate: u32, start: u32, digits: &str) -> String {
    let mut s = DtmfSender::new(rate, PERIOD_MS, 100, 60, start);
    s.queue(digits).expect("valid digits");
    let mut r = DtmfReceiver::default();
    packets(&run(&mut s, 20 * digits.len()))
        .iter()
        .filter_map(|p| r.on_packet(p.timestamp, &p.payload))
        .collect()
}

#[test]
fn receiver_reports_each_event_once_despite_redundant_packets() {
    assert_eq!(heard(8000, 0, "19"), "19");
}

#[test]
fn a_late_end_packet_of_the_previous_digit_is_not_a_new_digit() {
    let mut r = DtmfReceiver::default();
    let one_end = encode_payload(1, true, 800);
    assert_eq!(r.on_packet(1000, &encode_payload(1, false, 160)), Some('1'));
    assert_eq!(r.on_packet(2600, &encode_payload(2, false, 160)), Some('2'));
    // Reordered on the way: the last end packet of '1' after the start of '2'.
    assert_eq!(r.on_packet(1000, &one_end), None);
    assert_eq!(r.on_packet(2600, &encode_payload(2, true, 800)), None);
    assert_eq!(r.on_packet(4200, &encode_payload(3, false, 160)), Some('3'));
}

#[test]
fn the_same_digit_twice_is_two_events() {
    assert_eq!(heard(48000, 7, "55"), "55");
}
