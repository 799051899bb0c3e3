//! RFC 4733 telephone-events: sending DTMF digits as RTP event packets and recognising received ones.
//!
//! Sans-IO: [`DtmfSender::tick`] is called once per 20 ms packet period by the media thread, which owns
//! the RTP sequence numbers and timestamps. While a digit is being sent the audio stream pauses, as
//! RFC 4733 section 2.5 allows, and the event's RTP timestamp stays at the event start.

use std::collections::VecDeque;

/// Volume field: -10 dBm0, what most gateways send.
const VOLUME: u8 = 10;
/// How many times the final (end-bit) packet is sent (RFC 4733 section 2.5.1.4 recommends three).
pub const END_REDUNDANCY: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DtmfError {
    #[error("'{0}' is not a DTMF digit (use 0-9, *, #, A-D)")]
    InvalidDigit(char),
}

/// The RFC 4733 event code of a DTMF digit.
pub fn event_code(digit: char) -> Result<u8, DtmfError> {
    match digit {
        '0'..='9' => Ok(digit as u8 - b'0'),
        '*' => Ok(10),
        '#' => Ok(11),
        'A'..='D' => Ok(12 + (digit as u8 - b'A')),
        'a'..='d' => Ok(12 + (digit as u8 - b'a')),
        _ => Err(DtmfError::InvalidDigit(digit)),
    }
}

/// The digit of an RFC 4733 event code, if it is a DTMF one.
pub fn digit_of(code: u8) -> Option<char> {
    match code {
        0..=9 => Some((b'0' + code) as char),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some((b'A' + code - 12) as char),
        _ => None,
    }
}

/// The 4-byte telephone-event payload.
pub fn encode_payload(event: u8, end: bool, duration: u16) -> [u8; 4] {
    let [d0, d1] = duration.to_be_bytes();
    [event, if end { 0x80 } else { 0 } | (VOLUME & 0x3F), d0, d1]
}

/// A parsed telephone-event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPayload {
    pub event: u8,
    pub end: bool,
    pub volume: u8,
    pub duration: u16,
}

pub fn decode_payload(payload: &[u8]) -> Option<EventPayload> {
    if payload.len() < 4 {
        return None;
    }
    Some(EventPayload {
        event: payload[0],
        end: payload[1] & 0x80 != 0,
        volume: payload[1] & 0x3F,
        duration: u16::from_be_bytes([payload[2], payload[3]]),
    })
}

/// One packet to send for this period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfPacket {
    pub payload: [u8; 4],
    /// First packet of an event: set the RTP marker bit and take a new event timestamp.
    pub start: bool,
}

/// What the media thread sends in one packet period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtmfTick {
    /// No digit in progress: send audio.
    Audio,
    /// Send this event packet instead of audio.
    Event(DtmfPacket),
    /// Between digits: send nothing (keeps digits distinct for the far end).
    Pause,
}

#[derive(Debug, Clone, Copy)]
struct Tone {
    event: u8,
    /// Packet periods sent so far.
    sent: u32,
    /// End packets sent so far.
    ends: u32,
}

/// Turns queued digits into packet-period decisions.
#[derive(Debug)]
pub struct DtmfSender {
    /// Timestamp units per packet period (e.g. 160 at 8 kHz, 960 at 48 kHz for 20 ms).
    units_per_period: u32,
    tone_periods: u32,
    gap_periods: u32,
    queue: VecDeque<u8>,
    current: Option<Tone>,
    gap_left: u32,
}

impl DtmfSender {
    /// `clock_rate` of the negotiated telephone-event; `period_ms` the packet period; tone and gap in ms.
    pub fn new(clock_rate: u32, period_ms: u32, tone_ms: u32, gap_ms: u32) -> Self {
        let period_ms = period_ms.max(1);
        Self {
            units_per_period: clock_rate / 1000 * period_ms,
            tone_periods: (tone_ms / period_ms).max(1),
            gap_periods: gap_ms / period_ms,
            queue: VecDeque::new(),
            current: None,
            gap_left: 0,
        }
    }

    /// Queue digits; nothing is queued if any digit is invalid.
    pub fn queue(&mut self, digits: &str) -> Result<(), DtmfError> {
        let codes = digits
            .chars()
            .map(event_code)
            .collect::<Result<Vec<_>, _>>()?;
        self.queue.extend(codes);
        Ok(())
    }

    pub fn is_idle(&self) -> bool {
        self.current.is_none() && self.queue.is_empty() && self.gap_left == 0
    }

    pub fn tick(&mut self) -> DtmfTick {
        if let Some(mut tone) = self.current {
            let out = if tone.sent < self.tone_periods {
                tone.sent += 1;
                let duration = self.duration(tone.sent);
                let end = tone.sent == self.tone_periods;
                if end {
                    tone.ends = 1;
                }
                DtmfPacket {
                    payload: encode_payload(tone.event, end, duration),
                    start: tone.sent == 1,
                }
            } else {
                tone.ends += 1;
                DtmfPacket {
                    payload: encode_payload(tone.event, true, self.duration(tone.sent)),
                    start: false,
                }
            };
            if tone.ends >= END_REDUNDANCY {
                self.current = None;
                self.gap_left = self.gap_periods;
            } else {
                self.current = Some(tone);
            }
            return DtmfTick::Event(out);
        }
        if self.gap_left > 0 {
            self.gap_left -= 1;
            return DtmfTick::Pause;
        }
        if let Some(event) = self.queue.pop_front() {
            self.current = Some(Tone {
                event,
                sent: 0,
                ends: 0,
            });
            return self.tick();
        }
        DtmfTick::Audio
    }

    fn duration(&self, periods: u32) -> u16 {
        (periods * self.units_per_period).min(u32::from(u16::MAX)) as u16
    }
}

/// Recognises each received event once, however many packets (and end redundancy) carry it.
#[derive(Debug, Default)]
pub struct DtmfReceiver {
    last_timestamp: Option<u32>,
}

impl DtmfReceiver {
    /// Returns the digit the first time an event (identified by its RTP timestamp) is seen.
    pub fn on_packet(&mut self, rtp_timestamp: u32, payload: &[u8]) -> Option<char> {
        let event = decode_payload(payload)?;
        if self.last_timestamp == Some(rtp_timestamp) {
            return None;
        }
        self.last_timestamp = Some(rtp_timestamp);
        digit_of(event.event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(sender: &mut DtmfSender, n: usize) -> Vec<DtmfTick> {
        (0..n).map(|_| sender.tick()).collect()
    }

    #[test]
    fn a_digit_is_sent_with_growing_duration_marker_first_and_three_end_packets() {
        // 8 kHz telephone-event, 20 ms packets, 100 ms tone, 60 ms gap.
        let mut s = DtmfSender::new(8000, 20, 100, 60);
        s.queue("5").expect("valid digit");
        let ticks = run(&mut s, 12);
        let events: Vec<DtmfPacket> = ticks
            .iter()
            .filter_map(|t| {
                if let DtmfTick::Event(p) = t {
                    Some(*p)
                } else {
                    None
                }
            })
            .collect();
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
        let mut s = DtmfSender::new(48000, 20, 40, 0);
        s.queue("#").expect("valid digit");
        let d: Vec<u16> = run(&mut s, 4)
            .iter()
            .filter_map(|t| {
                if let DtmfTick::Event(p) = t {
                    decode_payload(&p.payload)
                } else {
                    None
                }
            })
            .map(|e| e.duration)
            .collect();
        assert_eq!(d, vec![960, 1920, 1920, 1920]);
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
        let mut s = DtmfSender::new(8000, 20, 100, 60);
        assert!(s.queue("12x").is_err());
        assert!(s.is_idle());
    }

    proptest::proptest! {
        /// For any digits: each event starts once (marker), its duration never shrinks, it ends with
        /// exactly three end packets of the full duration, and the receiver reports the digits in order.
        #[test]
        fn every_digit_string_is_sent_as_well_formed_events(digits in "[0-9*#A-D]{1,12}",
                                                            tone_ms in 40u32..300, gap_ms in 0u32..200) {
            let mut s = DtmfSender::new(8000, 20, tone_ms, gap_ms);
            s.queue(&digits).expect("valid digits");
            let mut events: Vec<Vec<EventPayload>> = Vec::new();
            let mut r = DtmfReceiver::default();
            let (mut ts, mut event_ts, mut heard) = (0u32, 0u32, String::new());
            for _ in 0..10_000 {
                if s.is_idle() {
                    break;
                }
                if let DtmfTick::Event(p) = s.tick() {
                    if p.start {
                        events.push(Vec::new());
                        event_ts = ts;
                    }
                    let e = decode_payload(&p.payload).expect("4 bytes");
                    events.last_mut().expect("an event started with a marker").push(e);
                    if let Some(d) = r.on_packet(event_ts, &p.payload) {
                        heard.push(d);
                    }
                }
                ts = ts.wrapping_add(160);
            }
            proptest::prop_assert!(s.is_idle());
            proptest::prop_assert_eq!(events.len(), digits.len());
            proptest::prop_assert_eq!(heard, digits);
            let full = ((tone_ms / 20).max(1) * 160) as u16;
            for ev in &events {
                proptest::prop_assert!(ev.windows(2).all(|w| w[0].duration <= w[1].duration));
                proptest::prop_assert_eq!(ev.iter().filter(|e| e.end).count(), END_REDUNDANCY as usize);
                proptest::prop_assert!(ev.iter().rev().take(3).all(|e| e.end && e.duration == full));
            }
        }
    }

    #[test]
    fn receiver_reports_each_event_once_despite_redundant_packets() {
        let mut s = DtmfSender::new(8000, 20, 100, 60);
        s.queue("19").expect("valid digits");
        let mut r = DtmfReceiver::default();
        let mut ts = 0u32;
        let mut event_ts = 0u32;
        let mut got = String::new();
        for _ in 0..40 {
            if let DtmfTick::Event(p) = s.tick() {
                if p.start {
                    event_ts = ts;
                }
                if let Some(d) = r.on_packet(event_ts, &p.payload) {
                    got.push(d);
                }
            }
            ts += 160;
        }
        assert_eq!(got, "19");
    }
}
