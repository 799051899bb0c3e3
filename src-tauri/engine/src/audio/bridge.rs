//! A three-way conference mixed here: the agent's devices and two calls meet in a bridge. Each far end
//! hears the agent and the other far end; the agent hears both far ends. The bridge takes the devices'
//! place for both calls' [`AudioPort`]s (through their swaps) and is itself fed by the devices like a
//! call, so moving devices, or ending the conference, is the same swap as for one call.
//!
//! The mixing is [`mix`], a pure function over one block; the thread around it paces blocks by the clock
//! (10 ms), reads what the devices and calls have, and writes the three sums.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{ring_pair, AudioPort, AudioSwap, DeviceEnds, MediaEnds, RATE};

/// One block of the mix: 10 ms.
const BLOCK: usize = RATE as usize / 100;
/// More microphone audio waiting than this is dropped (the devices' clock ran ahead of the bridge's).
const MAX_MIC_BACKLOG: usize = RATE as usize / 10;

/// What each party hears for one block: the microphone `mic`, and what far ends A and B said (`a`, `b`).
/// Writes what goes to A (`to_a` = mic + b), to B (`to_b` = mic + a) and to the agent's speaker
/// (`to_agent` = a + b), with saturation.
pub fn mix(
    mic: &[i16],
    a: &[i16],
    b: &[i16],
    to_a: &mut [i16],
    to_b: &mut [i16],
    to_agent: &mut [i16],
) {
    for i in 0..mic.len() {
        to_a[i] = mic[i].saturating_add(b[i]);
        to_b[i] = mic[i].saturating_add(a[i]);
        to_agent[i] = a[i].saturating_add(b[i]);
    }
}

/// A running bridge; dropping it stops the mixing (the calls then hear nothing from it: the caller moves
/// the devices back to a call).
pub struct Bridge {
    stop: Arc<AtomicBool>,
    /// The agent's microphone is left out of the mix (mute in a conference: the far ends still hear each
    /// other).
    muted: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Bridge {
    /// Puts calls `a` and `b` (their ports' swaps) on a new bridge; returns it and the swap through which
    /// the devices feed it ([`super::line::AudioLine::reconnect`]).
    pub fn start(a: &AudioSwap, b: &AudioSwap) -> std::io::Result<(Bridge, AudioSwap)> {
        let (a_media, a_bridge) = ring_pair();
        let (b_media, b_bridge) = ring_pair();
        a.swap(a_media);
        b.swap(b_media);
        let (devices, devices_swap) = AudioPort::new(ring_pair().0);
        let stop = Arc::new(AtomicBool::new(false));
        let muted = Arc::new(AtomicBool::new(false));
        let (flag, mute) = (stop.clone(), muted.clone());
        let thread = std::thread::Builder::new()
            .name("conference".into())
            .spawn(move || run(devices, leg(a_bridge), leg(b_bridge), &flag, &mute))?;
        Ok((
            Bridge {
                stop,
                muted,
                thread: Some(thread),
            },
            devices_swap,
        ))
    }
}

impl Bridge {
    /// Mute (`true`) or unmute the agent's microphone in the mix.
    pub fn mute(&self, on: bool) {
        self.muted.store(on, Ordering::Relaxed);
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The bridge's side of a call's rings, as a port: what the call plays reads as its "microphone", what the
/// call is to send is written as its "speaker" (the call's [`AudioPort`] sees the other ends).
fn leg(call: DeviceEnds) -> AudioPort {
    AudioPort::new(MediaEnds {
        mic: call.speaker,
        speaker: call.mic,
    })
    .0
}

fn run(
    mut devices: AudioPort,
    mut a: AudioPort,
    mut b: AudioPort,
    stop: &AtomicBool,
    muted: &AtomicBool,
) {
    let start = Instant::now();
    let mut blocks: u64 = 0;
    let [mut mic, mut from_a, mut from_b, mut to_a, mut to_b, mut to_agent] = [[0i16; BLOCK]; 6];
    while !stop.load(Ordering::Relaxed) {
        let due = start + Duration::from_millis(10 * (blocks + 1));
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        blocks += 1;
        // The devices' clock ran ahead: drop the oldest audio, a block at a time, down to one block.
        if devices.mic_available() > MAX_MIC_BACKLOG {
            while devices.mic_available() > BLOCK {
                devices.read_mic(&mut mic);
            }
        }
        devices.read_mic(&mut mic);
        if muted.load(Ordering::Relaxed) {
            mic.fill(0);
        }
        a.read_mic(&mut from_a);
        b.read_mic(&mut from_b);
        mix(&mic, &from_a, &from_b, &mut to_a, &mut to_b, &mut to_agent);
        a.write_speaker(&to_a);
        b.write_speaker(&to_b);
        devices.write_speaker(&to_agent);
    }
}

#[cfg(test)]
mod tests {
    use super::{mix, Bridge};
    use crate::audio::{ring_pair, AudioPort};

    #[test]
    fn each_far_end_hears_the_agent_and_the_other_and_the_agent_hears_both() {
        let mic = [100i16, 0, i16::MAX];
        let a = [10i16, 20, 1];
        let b = [1i16, 2, 1];
        let (mut to_a, mut to_b, mut to_agent) = ([0i16; 3], [0i16; 3], [0i16; 3]);
        mix(&mic, &a, &b, &mut to_a, &mut to_b, &mut to_agent);
        assert_eq!(to_a, [101, 2, i16::MAX], "A: the agent and B, saturated");
        assert_eq!(to_b, [110, 20, i16::MAX]);
        assert_eq!(to_agent, [11, 22, 2], "the agent: A and B, never themself");
    }

    #[test]
    fn a_running_bridge_carries_each_far_end_to_the_other() {
        let (a_media, _) = ring_pair();
        let (mut a_port, a_swap) = AudioPort::new(a_media);
        let (b_media, _) = ring_pair();
        let (mut b_port, b_swap) = AudioPort::new(b_media);
        let (bridge, _devices) = Bridge::start(&a_swap, &b_swap).expect("bridge");
        // A's far end says 7s (the call writes them to its speaker); B must get them as its microphone.
        let mut heard = 0;
        for _ in 0..500 {
            a_port.write_speaker(&[7; 480]);
            std::thread::sleep(std::time::Duration::from_millis(10));
            let mut got = [0i16; 480];
            let n = b_port.read_mic(&mut got);
            heard += got[..n].iter().filter(|s| **s == 7).count();
            if heard > 1000 {
                break;
            }
        }
        assert!(heard > 1000, "B heard {heard} samples of A");
        drop(bridge);
    }
}
