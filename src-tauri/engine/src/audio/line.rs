//! Where a call's audio goes: the sound card (cpal, opened for the length of a call), a pair of WAV files
//! (the headless binary's `--audio-in` / `--audio-out`, running for the whole session like a sound
//! card would), or nothing. A device that cannot be opened never stops a call: the call gets a silent
//! port and the agent is told.

use std::sync::Arc;
use std::time::Instant;

use super::devices::{CpalAudio, DeviceError, Ringer};
use super::wav::{WavConfig, WavDevice, WavError};
use super::worker::DeviceWork;
use super::{AudioEvent, AudioPort, AudioSwap, DeviceRole};

/// Opening the sound card for a call, for the device worker ([`super::worker`]).
pub struct DeviceOpening {
    mic: Option<String>,
    speaker: Option<String>,
    swap: super::AudioSwap,
}

/// What [`DeviceOpening::open`] found.
pub struct OpenedDevices {
    result: Result<(CpalAudio, AudioPort, Vec<AudioEvent>), DeviceError>,
    swap: super::AudioSwap,
}

impl DeviceOpening {
    /// Blocks while the sound system opens the devices.
    pub fn open(self) -> OpenedDevices {
        OpenedDevices {
            result: CpalAudio::start(self.mic.as_deref(), self.speaker.as_deref()),
            swap: self.swap,
        }
    }
}

/// The ring tone and the devices to play it on (see [`AudioLine::ring_job`]).
pub struct RingJob {
    targets: Vec<Option<String>>,
    tone: Arc<[i16]>,
}

impl RingJob {
    /// Blocks while the devices open; a device that cannot ring is reported, never fatal.
    pub fn start(self) -> (Vec<Ringer>, Vec<AudioEvent>) {
        let mut ringers = Vec::new();
        let mut events = Vec::new();
        for dev in self.targets {
            match Ringer::start(dev.as_deref(), self.tone.clone()) {
                Ok(r) => ringers.push(r),
                Err(e) => events.push(unavailable(&e)),
            }
        }
        (ringers, events)
    }
}

/// How the engine was told to do audio.
#[derive(Debug, Clone, Default)]
pub enum AudioSetup {
    /// The system's devices (the chosen microphone and speaker, else the defaults).
    #[default]
    Devices,
    /// WAV files in place of devices.
    Files(WavConfig),
    /// No audio at all (silence in, output discarded).
    Silent,
}

/// The engine's choice of audio and what it has asked of the sound card. The device work itself (open,
/// move, check, close, list) is [`DeviceWork`] for the device worker: the methods here say what to ask.
pub enum AudioLine {
    Devices {
        mic: Option<String>,
        speaker: Option<String>,
        ringer: Option<String>,
        /// A call's devices are open (held by the device worker).
        open: bool,
        ringing: Vec<Ringer>,
        /// What is ringing now (asked by [`AudioLine::ring_job`], until [`AudioLine::stop_ringing`]).
        ring: Option<Ring>,
    },
    Files(WavDevice),
    Silent,
}

impl AudioLine {
    pub fn start(setup: AudioSetup) -> Result<AudioLine, WavError> {
        Ok(match setup {
            AudioSetup::Devices => AudioLine::Devices {
                mic: None,
                speaker: None,
                ringer: None,
                open: false,
                ringing: Vec::new(),
                ring: None,
            },
            AudioSetup::Files(cfg) => {
                let (dev, _first_port) = WavDevice::start(cfg)?;
                AudioLine::Files(dev)
            }
            AudioSetup::Silent => AudioLine::Silent,
        })
    }

    /// A port for a call that starts now; the previous call's port (if any) goes quiet. Never waits for a
    /// sound card: with real devices the port starts silent and [`DeviceWork::Open`] (the device worker
    /// closes the last call's devices and opens these; a second or two on PulseAudio) connects it, then
    /// hand the result to [`AudioLine::devices_opened`]. The call's INVITE does not wait for any of this.
    pub fn port_for_call(&mut self) -> (AudioPort, Option<DeviceOpening>) {
        let (port, _swap, opening) = self.port_and_swap_for_call();
        (port, opening)
    }

    /// [`AudioLine::port_for_call`], with the handle that gives the devices back to this port later
    /// ([`AudioLine::reconnect`]); `None` with no audio at all.
    pub fn port_and_swap_for_call(
        &mut self,
    ) -> (AudioPort, Option<AudioSwap>, Option<DeviceOpening>) {
        match self {
            AudioLine::Files(dev) => {
                let (port, swap) = dev.new_port_with_swap();
                (port, Some(swap), None)
            }
            AudioLine::Silent => (AudioPort::detached(), None, None),
            AudioLine::Devices { .. } => {
                let (media_ends, _no_device_yet) = super::ring_pair();
                let (port, swap) = AudioPort::new(media_ends);
                let opening = self.reconnect(&swap);
                (port, Some(swap), opening)
            }
        }
    }

    /// The devices go (back) to an existing call's port: at once for audio files, through the device
    /// worker ([`DeviceWork::Open`]) for the sound card. The call that had them goes quiet.
    pub fn reconnect(&mut self, port: &AudioSwap) -> Option<DeviceOpening> {
        match self {
            AudioLine::Files(dev) => {
                dev.feed(port);
                None
            }
            AudioLine::Silent => None,
            AudioLine::Devices {
                mic, speaker, open, ..
            } => {
                *open = false;
                Some(DeviceOpening {
                    mic: mic.clone(),
                    speaker: speaker.clone(),
                    swap: port.clone(),
                })
            }
        }
    }

    /// The devices for a call's port are open: they feed it from now on (unless the call is gone). Gives
    /// them back for the device worker to keep (or close).
    pub fn devices_opened(
        &mut self,
        opened: OpenedDevices,
        still_wanted: bool,
    ) -> (Vec<AudioEvent>, Option<DeviceWork>) {
        let OpenedDevices { result, swap } = opened;
        match result {
            Ok((mut audio, device_port, events)) => {
                if !still_wanted {
                    return (vec![], Some(DeviceWork::Discard(audio)));
                }
                audio.rebind(swap.clone());
                swap.swap(device_port.into_ends());
                if let AudioLine::Devices { open, .. } = self {
                    *open = true;
                }
                (events, Some(DeviceWork::Keep(audio)))
            }
            Err(e) => (vec![unavailable(&e)], None),
        }
    }

    /// No call needs audio any more: the sound card is to be released.
    pub fn release(&mut self) -> Option<DeviceWork> {
        match self {
            AudioLine::Devices { open, .. } if *open => {
                *open = false;
                Some(DeviceWork::Release)
            }
            _ => None,
        }
    }

    /// Choose devices (by id or name; `""` = the system default again); an open call moves to a named
    /// device at once (the work returned).
    pub fn choose(
        &mut self,
        new_mic: Option<String>,
        new_speaker: Option<String>,
        new_ringer: Option<String>,
    ) -> Option<DeviceWork> {
        let AudioLine::Devices {
            mic,
            speaker,
            ringer,
            open,
            ..
        } = self
        else {
            return None;
        };
        // "" means: follow the system default again (from the next call on).
        let pick = |choice: &mut Option<String>, new: &Option<String>| match new.as_deref() {
            Some("") => *choice = None,
            Some(name) => *choice = Some(name.to_owned()),
            None => {}
        };
        pick(mic, &new_mic);
        pick(speaker, &new_speaker);
        pick(ringer, &new_ringer);
        let mic = new_mic.filter(|n| !n.is_empty());
        let speaker = new_speaker.filter(|n| !n.is_empty());
        (*open && (mic.is_some() || speaker.is_some()))
            .then_some(DeviceWork::Switch { mic, speaker })
    }

    /// The devices chosen (microphone, speaker, ringer); `None` with audio files or no audio, where there
    /// are no devices to list.
    pub fn chosen(&self) -> Option<[Option<String>; 3]> {
        match self {
            AudioLine::Devices {
                mic,
                speaker,
                ringer,
                ..
            } => Some([mic.clone(), speaker.clone(), ringer.clone()]),
            _ => None,
        }
    }

    /// Ring: on the ringer device; a callback from the emergency services also on the speaker, with its
    /// own tone, so it is heard whatever the agent wears; a call waiting (another call is in conversation)
    /// only as soft beeps on the speaker, over the call. Opening the devices blocks (a second or two on
    /// PulseAudio), so this only says what to open: run [`RingJob::start`] on a blocking thread and hand
    /// the ringers to [`AudioLine::ringers_started`].
    pub fn ring_job(&mut self, kind: Ring) -> Option<RingJob> {
        let AudioLine::Devices {
            speaker,
            ringer,
            ringing,
            ring,
            ..
        } = self
        else {
            return None;
        };
        if !ringing.is_empty() {
            return None;
        }
        *ring = Some(kind);
        let targets = match kind {
            Ring::Ordinary => vec![ringer.clone()],
            Ring::Callback if speaker != ringer => vec![ringer.clone(), speaker.clone()],
            Ring::Callback => vec![ringer.clone()],
            Ring::Waiting => vec![speaker.clone()],
        };
        Some(RingJob {
            targets,
            tone: match kind {
                Ring::Ordinary => ring_tone(false),
                Ring::Callback => ring_tone(true),
                Ring::Waiting => waiting_tone(),
            },
        })
    }

    /// What rings now, if anything.
    pub fn ringing_as(&self) -> Option<Ring> {
        match self {
            AudioLine::Devices { ring, .. } => *ring,
            _ => None,
        }
    }

    /// Ringers opened by a [`RingJob`]; dropped (silenced) when the call stopped ringing meanwhile.
    pub fn ringers_started(&mut self, ringers: Vec<Ringer>, still_ringing: bool) {
        if let (AudioLine::Devices { ringing, .. }, true) = (self, still_ringing) {
            ringing.extend(ringers);
        }
    }

    pub fn stop_ringing(&mut self) {
        if let AudioLine::Devices { ringing, ring, .. } = self {
            ringing.clear();
            *ring = None;
        }
    }

    /// Lost devices, with the default taking over (ask about every 100 ms to a second).
    pub fn poll(&self, now: Instant) -> Option<DeviceWork> {
        matches!(self, AudioLine::Devices { open: true, .. }).then_some(DeviceWork::Poll(now))
    }

    /// Stop and finalise (the WAV output file is complete after this).
    pub fn stop(self) {
        if let AudioLine::Files(dev) = self {
            if let Err(e) = dev.stop() {
                tracing::warn!("the audio output file could not be finished: {e}");
            }
        }
    }
}

/// 48 kHz ring tones: the usual two-tone ring (440 + 480 Hz, 2 s on, 4 s off), or for an emergency callback
/// a fast alternating 960/770 Hz warble (2 s on, 1 s off) that cannot be mistaken for an ordinary call.
/// Why the engine rings: it decides the tone and the devices ([`AudioLine::ring_job`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ring {
    /// An incoming call, nothing else going on.
    Ordinary,
    /// The emergency services calling back.
    Callback,
    /// An ordinary call while the agent talks on another: call waiting.
    Waiting,
}

/// Call waiting: two short 440 Hz beeps, then quiet for 4 s; soft, so the caller the agent is talking to
/// is still heard over it.
pub fn waiting_tone() -> Arc<[i16]> {
    let rate = super::RATE as f32;
    let total = (4.6 * rate) as usize;
    let amp = 0.12 * 32767.0;
    (0..total)
        .map(|i| {
            let t = i as f32 / rate;
            let beep = t < 0.2 || (0.4..0.6).contains(&t);
            if !beep {
                return 0;
            }
            ((2.0 * std::f32::consts::PI * 440.0 * t).sin() * amp) as i16
        })
        .collect()
}

pub fn ring_tone(callback: bool) -> Arc<[i16]> {
    let rate = super::RATE as f32;
    let (on, off) = if callback { (2.0, 1.0) } else { (2.0, 4.0) };
    let n_on = (on * rate) as usize;
    let total = ((on + off) * rate) as usize;
    let amp = 0.3 * 32767.0;
    (0..total)
        .map(|i| {
            if i >= n_on {
                return 0;
            }
            let t = i as f32 / rate;
            let v = if callback {
                let f = if (t * 8.0) as u32 % 2 == 0 {
                    960.0
                } else {
                    770.0
                };
                (2.0 * std::f32::consts::PI * f * t).sin()
            } else {
                0.5 * ((2.0 * std::f32::consts::PI * 440.0 * t).sin()
                    + (2.0 * std::f32::consts::PI * 480.0 * t).sin())
            };
            (v * amp) as i16
        })
        .collect()
}

fn unavailable(e: &DeviceError) -> AudioEvent {
    let role = match e {
        DeviceError::NotFound { role, .. } | DeviceError::Open { role, .. } => *role,
        DeviceError::NoDefault(role) => *role,
        _ => DeviceRole::Speaker,
    };
    e.unavailable(role)
}

#[cfg(test)]
mod tests {
    use super::{ring_tone, waiting_tone, AudioLine, AudioSetup, Ring};

    #[test]
    fn a_call_on_real_devices_gets_its_port_at_once_and_opens_the_devices_later() {
        let mut line = AudioLine::start(AudioSetup::Devices).expect("line");
        let (mut port, opening) = line.port_for_call();
        assert!(
            opening.is_some(),
            "the sound card is opened off the call path"
        );
        let mut buf = [1i16; 960];
        assert_eq!(
            port.read_mic(&mut buf),
            0,
            "silence until the devices are open"
        );
        assert!(buf.iter().all(|s| *s == 0));
    }

    #[test]
    fn the_callback_ring_differs_from_the_ordinary_ring() {
        let ordinary = ring_tone(false);
        let callback = ring_tone(true);
        assert_eq!(ordinary.len(), 6 * 48_000);
        assert_eq!(callback.len(), 3 * 48_000);
        assert!(ordinary[..48_000].iter().any(|s| s.unsigned_abs() > 5_000));
        assert!(
            ordinary[3 * 48_000..].iter().all(|s| *s == 0),
            "silent after 2 s"
        );
    }

    #[test]
    fn call_waiting_beeps_softly_on_the_speaker_only() {
        let tone = waiting_tone();
        let loudest = tone.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
        let ring_loudest = ring_tone(false)
            .iter()
            .map(|s| s.unsigned_abs())
            .max()
            .unwrap_or(0);
        assert!(loudest > 1_000 && loudest < ring_loudest / 2, "{loudest}");
        assert!(tone[(0.7 * 48_000.0) as usize..].iter().all(|s| *s == 0));

        let mut line = AudioLine::start(AudioSetup::Devices).expect("line");
        line.choose(None, Some("headset".into()), Some("speakers".into()));
        let job = line.ring_job(Ring::Waiting).expect("a job");
        assert_eq!(job.targets, vec![Some("headset".to_owned())]);
        assert_eq!(line.ringing_as(), Some(Ring::Waiting));
        line.stop_ringing();
        assert_eq!(line.ringing_as(), None);
        let job = line.ring_job(Ring::Ordinary).expect("a job");
        assert_eq!(job.targets, vec![Some("speakers".to_owned())]);
        let mut line = AudioLine::start(AudioSetup::Devices).expect("line");
        line.choose(None, Some("headset".into()), Some("speakers".into()));
        let job = line.ring_job(Ring::Callback).expect("a job");
        assert_eq!(
            job.targets.len(),
            2,
            "the callback is heard whatever the agent wears"
        );
    }
}
