//! Where a call's audio goes: the sound card (cpal, opened for the length of a call), a pair of WAV files
//! (the headless binary's `--audio-in` / `--audio-out`, running for the whole session like a sound
//! card would), or nothing. A device that cannot be opened never stops a call: the call gets a silent
//! port and the agent is told.

use std::time::Instant;

use super::devices::{CpalAudio, DeviceError};
use super::wav::{WavConfig, WavDevice, WavError};
use super::{AudioEvent, AudioPort, DeviceRole};

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

pub enum AudioLine {
    Devices { mic: Option<String>, speaker: Option<String>, open: Option<CpalAudio> },
    Files(WavDevice),
    Silent,
}

impl AudioLine {
    pub fn start(setup: AudioSetup) -> Result<AudioLine, WavError> {
        Ok(match setup {
            AudioSetup::Devices => AudioLine::Devices { mic: None, speaker: None, open: None },
            AudioSetup::Files(cfg) => {
                let (dev, _first_port) = WavDevice::start(cfg)?;
                AudioLine::Files(dev)
            }
            AudioSetup::Silent => AudioLine::Silent,
        })
    }

    /// A port for a call that starts now; the previous call's port (if any) goes quiet.
    pub fn port_for_call(&mut self) -> (AudioPort, Vec<AudioEvent>) {
        match self {
            AudioLine::Files(dev) => (dev.new_port(), vec![]),
            AudioLine::Silent => (AudioPort::detached(), vec![]),
            AudioLine::Devices { mic, speaker, open } => {
                *open = None;
                match CpalAudio::start(mic.as_deref(), speaker.as_deref()) {
                    Ok((audio, port, events)) => {
                        *open = Some(audio);
                        (port, events)
                    }
                    Err(e) => (AudioPort::detached(), vec![unavailable(&e)]),
                }
            }
        }
    }

    /// No call needs audio any more: release the sound card.
    pub fn release(&mut self) {
        if let AudioLine::Devices { open, .. } = self {
            *open = None;
        }
    }

    /// Choose devices (by id or name); an open call moves to them at once.
    pub fn choose(&mut self, new_mic: Option<String>, new_speaker: Option<String>) -> Result<Vec<AudioEvent>, DeviceError> {
        match self {
            AudioLine::Devices { mic, speaker, open } => {
                if new_mic.is_some() {
                    mic.clone_from(&new_mic);
                }
                if new_speaker.is_some() {
                    speaker.clone_from(&new_speaker);
                }
                match open {
                    Some(audio) => audio.switch(new_mic.as_deref(), new_speaker.as_deref()),
                    None => Ok(vec![]),
                }
            }
            _ => Ok(vec![]),
        }
    }

    /// Lost devices, with the default taking over (call about every 100 ms to a second).
    pub fn poll(&mut self, now: Instant) -> Vec<AudioEvent> {
        match self {
            AudioLine::Devices { open: Some(audio), .. } => audio.poll(now),
            _ => vec![],
        }
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

fn unavailable(e: &DeviceError) -> AudioEvent {
    let role = match e {
        DeviceError::NotFound { role, .. } | DeviceError::Open { role, .. } => *role,
        DeviceError::NoDefault(role) => *role,
        _ => DeviceRole::Speaker,
    };
    AudioEvent::DeviceUnavailable { role, reason: e.to_string() }
}
