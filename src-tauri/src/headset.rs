//! USB headsets' call buttons and lights (HID, the Telephony usage page): where the hook switch, mute and
//! flash buttons sit in the headset's input report and its ring, off-hook and mute lights in its output
//! report ([`Layout::from_descriptor`]), what a report means ([`Layout::read_buttons`]), and what the app
//! does about it ([`Headset`], a state machine: engine events and button reports in, engine commands and
//! the lights to set out).
//!
//! Pure; the device side (hidapi: open the headset, read input reports, write output reports) is
//! `headset_device`.

use lifeline_engine::api::{CallState, Command, Direction, Event};

const PAGE_TELEPHONY: u16 = 0x0B;
const PAGE_LED: u16 = 0x08;
const HOOK_SWITCH: u16 = 0x20;
const FLASH: u16 = 0x21;
const PHONE_MUTE: u16 = 0x2F;
const LED_MUTE: u16 = 0x09;
const LED_OFF_HOOK: u16 = 0x17;
const LED_RING: u16 = 0x18;

/// Where one 1-bit field sits: its report id (0 without ids) and bit offset after the id byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub report_id: u8,
    pub bit: usize,
}

/// The fields Lifeline uses, found in the headset's report descriptor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    pub hook_switch: Option<Field>,
    pub mute: Option<Field>,
    pub flash: Option<Field>,
    pub led_ring: Option<Field>,
    pub led_off_hook: Option<Field>,
    pub led_mute: Option<Field>,
    /// Output report sizes in bytes (without the id byte), by report id.
    output_bytes: Vec<(u8, usize)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DescriptorError {
    #[error("the report descriptor ends inside an item at byte {0}")]
    Truncated(usize),
    #[error("the report descriptor has no telephony hook switch: not a call-control headset")]
    NoHookSwitch,
}

impl Layout {
    /// Walks the descriptor's short items (HID 1.11, 6.2.2), keeping the global state (usage page, report
    /// size/count/id) and the local usages of each main item, and records where each wanted usage lands.
    pub fn from_descriptor(desc: &[u8]) -> Result<Self, DescriptorError> {
        let mut layout = Layout::default();
        let (mut page, mut size, mut count, mut id) = (0u16, 0usize, 0usize, 0u8);
        let mut usages: Vec<(u16, u16)> = Vec::new();
        let mut in_bits: Vec<(u8, usize)> = Vec::new();
        let mut out_bits: Vec<(u8, usize)> = Vec::new();
        let mut i = 0;
        while i < desc.len() {
            let prefix = desc[i];
            if prefix == 0xFE {
                // Long item: skip (none are defined).
                let len = *desc.get(i + 1).ok_or(DescriptorError::Truncated(i))? as usize;
                i += 3 + len;
                continue;
            }
            let len = match prefix & 0x03 {
                3 => 4,
                n => n as usize,
            };
            let data = desc
                .get(i + 1..i + 1 + len)
                .ok_or(DescriptorError::Truncated(i))?;
            let value = data
                .iter()
                .rev()
                .fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
            i += 1 + len;
            match prefix & 0xFC {
                0x04 => page = value as u16,
                0x74 => size = value as usize,
                0x94 => count = value as usize,
                0x84 => id = value as u8,
                0x08 => {
                    // Usage: 32-bit values carry their own page.
                    if len == 4 {
                        usages.push(((value >> 16) as u16, value as u16));
                    } else {
                        usages.push((page, value as u16));
                    }
                }
                0x80 | 0x90 => {
                    let output = prefix & 0xFC == 0x90;
                    let bits = if output { &mut out_bits } else { &mut in_bits };
                    let start = bit_position(bits, id);
                    let constant = value & 0x01 != 0;
                    if !constant && size == 1 {
                        for (n, (p, u)) in usages.iter().take(count).enumerate() {
                            let f = Some(Field {
                                report_id: id,
                                bit: start + n,
                            });
                            match (output, *p, *u) {
                                (false, PAGE_TELEPHONY, HOOK_SWITCH) => layout.hook_switch = f,
                                (false, PAGE_TELEPHONY, PHONE_MUTE) => layout.mute = f,
                                (false, PAGE_TELEPHONY, FLASH) => layout.flash = f,
                                (true, PAGE_LED, LED_RING) => layout.led_ring = f,
                                (true, PAGE_LED, LED_OFF_HOOK) => layout.led_off_hook = f,
                                (true, PAGE_LED, LED_MUTE) => layout.led_mute = f,
                                _ => {}
                            }
                        }
                    }
                    advance(bits, id, size * count);
                    usages.clear();
                }
                0xA0 | 0xC0 | 0xB0 => usages.clear(),
                _ => {}
            }
        }
        layout.output_bytes = out_bits
            .iter()
            .map(|(id, b)| (*id, b.div_ceil(8)))
            .collect();
        if layout.hook_switch.is_none() {
            return Err(DescriptorError::NoHookSwitch);
        }
        Ok(layout)
    }

    /// The buttons' state in an input report (with its id byte first when the device uses ids).
    pub fn read_buttons(&self, report: &[u8]) -> Option<Buttons> {
        let hook = self.hook_switch?;
        let get = |f: Option<Field>| f.map(|f| bit_of(report, f)).unwrap_or(Some(false));
        Some(Buttons {
            off_hook: bit_of(report, hook)?,
            mute: get(self.mute)?,
            flash: get(self.flash)?,
        })
    }

    /// The output report that sets the lights (id byte first, 0 without ids), if the headset has any.
    pub fn led_report(&self, leds: Leds) -> Option<Vec<u8>> {
        let any = self.led_ring.or(self.led_off_hook).or(self.led_mute)?;
        let bytes = self
            .output_bytes
            .iter()
            .find(|(id, _)| *id == any.report_id)
            .map(|(_, n)| *n)?;
        let mut report = vec![0u8; 1 + bytes];
        report[0] = any.report_id;
        for (field, on) in [
            (self.led_ring, leds.ring),
            (self.led_off_hook, leds.off_hook),
            (self.led_mute, leds.mute),
        ] {
            if let Some(f) = field.filter(|f| f.report_id == any.report_id && on) {
                report[1 + f.bit / 8] |= 1 << (f.bit % 8);
            }
        }
        Some(report)
    }
}

fn bit_position(bits: &[(u8, usize)], id: u8) -> usize {
    bits.iter()
        .find(|(i, _)| *i == id)
        .map(|(_, b)| *b)
        .unwrap_or(0)
}

fn advance(bits: &mut Vec<(u8, usize)>, id: u8, n: usize) {
    match bits.iter_mut().find(|(i, _)| *i == id) {
        Some((_, b)) => *b += n,
        None => bits.push((id, n)),
    }
}

fn bit_of(report: &[u8], f: Field) -> Option<bool> {
    let (first, body) = report.split_first()?;
    let body = if f.report_id == 0 {
        report
    } else if *first == f.report_id {
        body
    } else {
        return None;
    };
    body.get(f.bit / 8).map(|b| b & (1 << (f.bit % 8)) != 0)
}

/// The headset's buttons as one input report states them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Buttons {
    /// The hook switch is absolute: on while the headset is "off hook" (in a call).
    pub off_hook: bool,
    /// Phone Mute is a button: a press is its rising edge.
    pub mute: bool,
    pub flash: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Leds {
    pub ring: bool,
    pub off_hook: bool,
    pub mute: bool,
}

/// The app's side of the headset: which call rings, which is up, the mute; the lights follow them.
#[derive(Debug, Default)]
pub struct Headset {
    ringing: Vec<String>,
    in_call: Option<String>,
    muted: bool,
    last: Buttons,
}

impl Headset {
    /// An engine event; returns the lights when they change.
    pub fn on_event(&mut self, event: &Event) -> Option<Leds> {
        let before = self.leds();
        match event {
            Event::Call {
                id,
                state,
                direction,
                ..
            } => match state {
                CallState::Incoming
                    if *direction == Direction::In && !self.ringing.contains(id) =>
                {
                    self.ringing.push(id.clone());
                }
                CallState::Dialing
                | CallState::Ringing
                | CallState::Connected
                | CallState::Held => {
                    self.ringing.retain(|c| c != id);
                    self.in_call = Some(id.clone());
                }
                CallState::Ended => {
                    self.ringing.retain(|c| c != id);
                    if self.in_call.as_deref() == Some(id) {
                        self.in_call = None;
                        self.muted = false;
                    }
                }
                _ => {}
            },
            Event::CallMuted { on, .. } => self.muted = *on,
            _ => {}
        }
        let now = self.leds();
        (now != before).then_some(now)
    }

    /// A button report; returns what to ask the engine. The hook switch going off hook answers a ringing
    /// call, going on hook hangs up the call in progress; a mute press toggles the mute.
    pub fn on_buttons(&mut self, b: Buttons) -> Vec<Command> {
        let mut out = Vec::new();
        if b.off_hook && !self.last.off_hook && self.in_call.is_none() && !self.ringing.is_empty() {
            out.push(Command::Answer { call: None });
        }
        if !b.off_hook && self.last.off_hook && self.in_call.is_some() {
            out.push(Command::Hangup { call: None });
        }
        if b.mute && !self.last.mute && self.in_call.is_some() {
            out.push(Command::Mute { on: !self.muted });
        }
        self.last = b;
        out
    }

    pub fn leds(&self) -> Leds {
        Leds {
            ring: !self.ringing.is_empty() && self.in_call.is_none(),
            off_hook: self.in_call.is_some(),
            mute: self.in_call.is_some() && self.muted,
        }
    }
}

#[cfg(test)]
#[path = "headset_tests.rs"]
pub(crate) mod tests;
