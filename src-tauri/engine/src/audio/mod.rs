//! Audio devices: where the microphone samples come from and where the far end's voice goes.
//!
//! Everything meets the media thread through an [`AudioPort`]: two lock-free SPSC ring buffers (rtrb) of
//! 48 kHz mono 16-bit samples, one from the microphone and one to the speaker. Device callbacks (cpal) or
//! the WAV device's pacing thread hold the other ends. Switching devices mid-call builds a new pair of
//! rings and hands the media side its ends through [`AudioPort`]'s swap channel, so the call never stops
//! and no real-time callback ever waits for the media thread.

pub mod bridge;
pub mod devices;
pub mod line;
pub mod pacing;
pub mod processing;
pub mod wav;
pub mod worker;

use rtrb::{Consumer, Producer, RingBuffer};
use std::sync::mpsc;

/// Sample rate of every ring buffer.
pub const RATE: u32 = 48_000;
/// Ring capacity: 500 ms, enough to ride out a scheduling hiccup of the media thread.
pub const RING_CAPACITY: usize = RATE as usize / 2;

/// The media thread's ends of one pair of rings.
pub struct MediaEnds {
    pub mic: Consumer<i16>,
    pub speaker: Producer<i16>,
}

/// The device's ends of one pair of rings.
pub struct DeviceEnds {
    pub mic: Producer<i16>,
    pub speaker: Consumer<i16>,
}

/// A fresh pair of rings.
pub fn ring_pair() -> (MediaEnds, DeviceEnds) {
    let (mic_tx, mic_rx) = RingBuffer::new(RING_CAPACITY);
    let (spk_tx, spk_rx) = RingBuffer::new(RING_CAPACITY);
    (
        MediaEnds {
            mic: mic_rx,
            speaker: spk_tx,
        },
        DeviceEnds {
            mic: mic_tx,
            speaker: spk_rx,
        },
    )
}

/// Something the audio side wants the user (or a test) to know.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "audio_event", rename_all = "snake_case")]
pub enum AudioEvent {
    /// A device is in use for this role.
    DeviceActive { role: DeviceRole, name: String },
    /// The chosen device disappeared or failed; the default device is used instead.
    DeviceLost {
        role: DeviceRole,
        name: String,
        fallback: String,
    },
    /// No device could be opened for this role (the call continues without it).
    DeviceUnavailable {
        role: DeviceRole,
        /// In English (kept for scripts; the UI translates `code`).
        reason: String,
        /// Why, as a stable code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<crate::api::DeviceCode>,
        /// The values the code's sentence names (`name`, `detail`).
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        params: std::collections::BTreeMap<String, String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DeviceRole {
    Microphone,
    Speaker,
    Ringer,
}

/// The media thread's view of audio: read the microphone, write the speaker. Not real-time itself, but
/// it never blocks: missing microphone samples read as silence, a full speaker ring drops samples.
pub struct AudioPort {
    ends: MediaEnds,
    swaps: mpsc::Receiver<Swap>,
}

/// New ring ends for an [`AudioPort`], when a device changes.
pub enum Swap {
    Both(MediaEnds),
    Mic(Consumer<i16>),
    Speaker(Producer<i16>),
}

/// Hands new ring ends to an [`AudioPort`] (used when the device changes).
#[derive(Clone)]
pub struct AudioSwap {
    tx: mpsc::Sender<Swap>,
}

impl AudioSwap {
    /// Returns false when the port is gone (the call ended).
    pub fn swap(&self, ends: MediaEnds) -> bool {
        self.tx.send(Swap::Both(ends)).is_ok()
    }

    pub fn swap_mic(&self, mic: Consumer<i16>) -> bool {
        self.tx.send(Swap::Mic(mic)).is_ok()
    }

    pub fn swap_speaker(&self, speaker: Producer<i16>) -> bool {
        self.tx.send(Swap::Speaker(speaker)).is_ok()
    }
}

impl AudioPort {
    pub fn new(ends: MediaEnds) -> (Self, AudioSwap) {
        let (tx, rx) = mpsc::channel();
        (Self { ends, swaps: rx }, AudioSwap { tx })
    }

    /// A port with no device behind it: silence in, output discarded.
    pub fn detached() -> Self {
        let (media, _device) = ring_pair();
        Self::new(media).0
    }

    /// The ring ends this port reads and writes now (to hand them to another port through its swap).
    pub fn into_ends(mut self) -> MediaEnds {
        self.take_swaps();
        self.ends
    }

    fn take_swaps(&mut self) {
        while let Ok(swap) = self.swaps.try_recv() {
            match swap {
                Swap::Both(ends) => self.ends = ends,
                Swap::Mic(mic) => self.ends.mic = mic,
                Swap::Speaker(speaker) => self.ends.speaker = speaker,
            }
        }
    }

    /// Fill `out` with microphone samples; returns how many were real (the rest is silence).
    pub fn read_mic(&mut self, out: &mut [i16]) -> usize {
        self.take_swaps();
        let available = self.ends.mic.slots().min(out.len());
        let mut n = 0;
        if let Ok(chunk) = self.ends.mic.read_chunk(available) {
            let (a, b) = chunk.as_slices();
            out[..a.len()].copy_from_slice(a);
            out[a.len()..a.len() + b.len()].copy_from_slice(b);
            n = a.len() + b.len();
            chunk.commit_all();
        }
        out[n..].fill(0);
        n
    }

    /// Microphone samples waiting in the ring.
    pub fn mic_available(&mut self) -> usize {
        self.take_swaps();
        self.ends.mic.slots()
    }

    /// Samples queued for the speaker and not yet played.
    pub fn speaker_backlog(&mut self) -> usize {
        self.take_swaps();
        RING_CAPACITY.saturating_sub(self.ends.speaker.slots())
    }

    /// Queue samples for the speaker; returns how many fit.
    pub fn write_speaker(&mut self, samples: &[i16]) -> usize {
        self.take_swaps();
        let n = self.ends.speaker.slots().min(samples.len());
        if let Ok(mut chunk) = self.ends.speaker.write_chunk(n) {
            let (a, b) = chunk.as_mut_slices();
            let split = a.len();
            a.copy_from_slice(&samples[..split]);
            b.copy_from_slice(&samples[split..split + b.len()]);
            chunk.commit_all();
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_microphone_samples_read_as_silence() {
        let (media, mut device) = ring_pair();
        let (mut port, _swap) = AudioPort::new(media);
        for s in [1i16, 2, 3] {
            assert!(device.mic.push(s).is_ok());
        }
        let mut out = [9i16; 5];
        assert_eq!(port.read_mic(&mut out), 3);
        assert_eq!(out, [1, 2, 3, 0, 0]);
    }

    #[test]
    fn a_swap_moves_the_port_to_the_new_device_rings() {
        let (media, _old) = ring_pair();
        let (mut port, swap) = AudioPort::new(media);
        let (media2, mut new_device) = ring_pair();
        assert!(swap.swap(media2));
        assert_eq!(port.write_speaker(&[5, 6]), 2);
        assert_eq!(new_device.speaker.pop(), Ok(5));
        assert_eq!(new_device.speaker.pop(), Ok(6));
    }
}
