//! RFC 4733 telephone-events: sending DTMF digits as RTP event packets and recognising received ones.
//!
//! Sans-IO: [`DtmfSender::tick`] is called once per 20 ms packet period by the media thread, which owns
//! the RTP sequence numbers and the audio timestamps. While a digit is being sent the audio stream pauses,
//! as RFC 4733 section 2.5 allows, and the event's RTP timestamp stays at the event start.
//!
//! Clocks (RFC 4733 sections 2.1-2.5): an event's RTP timestamp and its duration are both counted in the
//! clock rate of the negotiated `telephone-event` format. The events share the audio stream's SSRC and
//! sequence numbers; they share its timestamp base only when the two clock rates are equal, which is
//! what we negotiate when the far end allows it (`telephone-event/48000` with Opus, `/8000` with G.711).
//! Many SIP endpoints (baresip, Asterisk, gateways behind rtpengine) know only `telephone-event/8000`,
//! even with Opus. Then the events run on a timeline of their own, an 8 kHz clock that advances with the
//! same packet periods as the audio: consecutive events are as far apart in event-clock units as they
//! are in time. Stamping them on the 48 kHz audio clock instead (what we did, and what libwebrtc does)
//! makes a 200 ms gap between two digits read as 1.2 s at 8 kHz; rtpengine, which paces the event packets
//! it forwards by their timestamps in the event clock, then held every other digit back for up to a
//! second and let the next one overtake it (`13#*` for `1234#*`).

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
    /// First packet of an event: set the RTP marker bit (RFC 4733 section 2.5.1.3).
    pub start: bool,
    /// The event's RTP timestamp: its start, in the event clock; the same in every packet of the event.
    pub timestamp: u32,
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
    /// The event clock at its first packet.
    timestamp: u32,
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
    /// The event clock now (this period), in `telephone-event` clock units. It advances by one period
    /// at every tick, events or not, so that it keeps time with the audio clock.
    clock: u32,
    tone_periods: u32,
    gap_periods: u32,
    queue: VecDeque<u8>,
    current: Option<Tone>,
    gap_left: u32,
}

impl DtmfSender {
    /// `clock_rate` of the negotiated telephone-event; `period_ms` the packet period; tone and gap in ms.
    /// `start_timestamp`: the event clock at the first tick. Give the audio stream's first timestamp:
    /// when the event and audio clock rates are equal, the event clock then *is* the audio clock (one
    /// timestamp base, as RFC 4733 wants); otherwise it is a base as good as any other.
    pub fn new(
        clock_rate: u32,
        period_ms: u32,
        tone_ms: u32,
        gap_ms: u32,
        start_timestamp: u32,
    ) -> Self {
        let period_ms = period_ms.max(1);
        let units_per_period = (clock_rate / 1000 * period_ms).max(1);
        // The duration field has 16 bits: keep a tone short enough for one event (RFC 4733 section
        // 2.5.2.3 would split a longer one into segments; digits never need that: 1.3 s at 48 kHz).
        let max_periods = (u32::from(u16::MAX) / units_per_period).max(1);
        Self {
            units_per_period,
            clock: start_timestamp,
            tone_periods: (tone_ms / period_ms).clamp(1, max_periods),
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

    /// What to send in this packet period. Call it exactly once per period, whatever is sent (also
    /// while the call is held): each call moves the event clock on by one period.
    pub fn tick(&mut self) -> DtmfTick {
        let out = self.decide();
        self.clock = self.clock.wrapping_add(self.units_per_period);
        out
    }

    fn decide(&mut self) -> DtmfTick {
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
                    timestamp: tone.timestamp,
                }
            } else {
                tone.ends += 1;
                DtmfPacket {
                    payload: encode_payload(tone.event, true, self.duration(tone.sent)),
                    start: false,
                    timestamp: tone.timestamp,
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
                timestamp: self.clock,
                sent: 0,
                ends: 0,
            });
            return self.decide();
        }
        DtmfTick::Audio
    }

    fn duration(&self, periods: u32) -> u16 {
        (periods * self.units_per_period).min(u32::from(u16::MAX)) as u16
    }
}

/// How many recent events the receiver remembers (a late packet of any of them is not a new event).
const RECENT_EVENTS: usize = 16;

/// Recognises each received event once, however many packets (and end redundancy) carry it.
#[derive(Debug, Default)]
pub struct DtmfReceiver {
    /// RTP timestamps of the last events reported, newest last. Not just the last one: a retransmitted
    /// end packet of the previous digit that arrives after the next digit started is no new digit. Not
    /// a "newer than" comparison either: after a change of SSRC the timestamps start anywhere.
    recent: VecDeque<u32>,
}

impl DtmfReceiver {
    /// Returns the digit the first time an event (identified by its RTP timestamp) is seen.
    pub fn on_packet(&mut self, rtp_timestamp: u32, payload: &[u8]) -> Option<char> {
        let event = decode_payload(payload)?;
        if self.recent.contains(&rtp_timestamp) {
            return None;
        }
        if self.recent.len() == RECENT_EVENTS {
            self.recent.pop_front();
        }
        self.recent.push_back(rtp_timestamp);
        digit_of(event.event)
    }
}

#[cfg(test)]
#[path = "dtmf_tests.rs"]
mod tests;
