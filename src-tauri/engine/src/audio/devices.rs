//! Real audio devices through cpal: listing, opening a microphone and a speaker onto the ring buffers,
//! switching mid-call and falling back to the default device when one disappears.
//!
//! The cpal callbacks only copy samples between the device buffer and a ring (rtrb): no locks, no
//! allocation, no blocking. A stream error sets an atomic flag; [`CpalAudio::poll`] (called by the owner,
//! e.g. every 100 ms) sees it and reopens the default device, reporting [`AudioEvent::DeviceLost`].
//! On Linux the PulseAudio host is used when a server runs (it names the real sinks and sources).

use super::{ring_pair, AudioEvent, AudioPort, AudioSwap, DeviceEnds, DeviceRole, RATE};
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    #[error("the sound system cannot be reached ({0}); check that audio is available on this computer")]
    Host(String),
    #[error("no {role:?} device named '{name}' was found; choose another in the audio settings")]
    NotFound { role: DeviceRole, name: String },
    #[error("there is no default {0:?} device; connect one or choose one in the audio settings")]
    NoDefault(DeviceRole),
    #[error("the {role:?} device '{name}' could not be opened: {reason}")]
    Open { role: DeviceRole, name: String, reason: String },
}

/// A device as the settings screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceInfo {
    /// Stable identifier (pass it back to choose the device).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    pub input: bool,
    pub output: bool,
    pub default_input: bool,
    pub default_output: bool,
}

fn device_id(d: &cpal::Device) -> String {
    d.id().map(|id| id.id().to_owned()).unwrap_or_default()
}

fn device_name(d: &cpal::Device) -> String {
    d.description().map(|desc| desc.name().to_owned()).unwrap_or_else(|_| device_id(d))
}

/// Every input and output device of the default host.
pub fn list_devices() -> Result<Vec<DeviceInfo>, DeviceError> {
    let host = cpal::default_host();
    let default_in = host.default_input_device().map(|d| device_id(&d));
    let default_out = host.default_output_device().map(|d| device_id(&d));
    let devices = host.devices().map_err(|e| DeviceError::Host(e.to_string()))?;
    Ok(devices
        .map(|d| {
            let id = device_id(&d);
            DeviceInfo {
                name: device_name(&d),
                input: d.supports_input(),
                output: d.supports_output(),
                default_input: default_in.as_deref() == Some(id.as_str()),
                default_output: default_out.as_deref() == Some(id.as_str()),
                id,
            }
        })
        .collect())
}

/// Find a device by id or name; `None` means the default one.
fn find(host: &cpal::Host, role: DeviceRole, wanted: Option<&str>) -> Result<cpal::Device, DeviceError> {
    let input = role == DeviceRole::Microphone;
    match wanted {
        None => if input { host.default_input_device() } else { host.default_output_device() }
            .ok_or(DeviceError::NoDefault(role)),
        Some(name) => host
            .devices()
            .map_err(|e| DeviceError::Host(e.to_string()))?
            .find(|d| {
                (if input { d.supports_input() } else { d.supports_output() })
                    && (device_id(d) == name || device_name(d) == name)
            })
            .ok_or_else(|| DeviceError::NotFound { role, name: name.to_owned() }),
    }
}

fn stream_config(device: &cpal::Device, input: bool) -> cpal::StreamConfig {
    let channels = if input { device.default_input_config() } else { device.default_output_config() }
        .map(|c| c.channels())
        .unwrap_or(1)
        .max(1);
    cpal::StreamConfig { channels, sample_rate: RATE, buffer_size: cpal::BufferSize::Default }
}

fn open_input(
    device: &cpal::Device,
    mut ring: rtrb::Producer<i16>,
    failed: Arc<AtomicBool>,
) -> Result<cpal::Stream, DeviceError> {
    let config = stream_config(device, true);
    let channels = usize::from(config.channels);
    let name = device_name(device);
    let stream = device
        .build_input_stream::<f32, _, _>(
            config,
            move |data: &[f32], _| {
                // Real-time: downmix to mono and push; a full ring drops samples.
                for frame in data.chunks(channels) {
                    let mono = frame.iter().sum::<f32>() / channels as f32;
                    let _ = ring.push((mono * 32767.0).clamp(-32768.0, 32767.0) as i16);
                }
            },
            move |_e| failed.store(true, Ordering::Relaxed),
            None,
        )
        .map_err(|e| DeviceError::Open { role: DeviceRole::Microphone, name: name.clone(), reason: e.to_string() })?;
    stream.play().map_err(|e| DeviceError::Open { role: DeviceRole::Microphone, name, reason: e.to_string() })?;
    Ok(stream)
}

fn open_output(
    device: &cpal::Device,
    role: DeviceRole,
    mut ring: rtrb::Consumer<i16>,
    failed: Arc<AtomicBool>,
) -> Result<cpal::Stream, DeviceError> {
    let config = stream_config(device, false);
    let channels = usize::from(config.channels);
    let name = device_name(device);
    let stream = device
        .build_output_stream::<f32, _, _>(
            config,
            move |data: &mut [f32], _| {
                // Real-time: pop one mono sample per frame, silence when the ring is empty.
                for frame in data.chunks_mut(channels) {
                    let s = ring.pop().map(|v| f32::from(v) / 32768.0).unwrap_or(0.0);
                    frame.fill(s);
                }
            },
            move |_e| failed.store(true, Ordering::Relaxed),
            None,
        )
        .map_err(|e| DeviceError::Open { role, name: name.clone(), reason: e.to_string() })?;
    stream.play().map_err(|e| DeviceError::Open { role, name, reason: e.to_string() })?;
    Ok(stream)
}

struct Open {
    _mic: Option<cpal::Stream>,
    _speaker: Option<cpal::Stream>,
    mic_name: String,
    speaker_name: String,
}

/// Microphone and speaker of a call on real devices.
pub struct CpalAudio {
    host: cpal::Host,
    mic_choice: Option<String>,
    speaker_choice: Option<String>,
    open: Option<Open>,
    mic_failed: Arc<AtomicBool>,
    speaker_failed: Arc<AtomicBool>,
    swap: AudioSwap,
}

impl CpalAudio {
    /// Open the chosen devices (`None`: the default ones). A missing choice falls back to the default
    /// with an event; only a missing default is an error.
    pub fn start(
        mic: Option<&str>,
        speaker: Option<&str>,
    ) -> Result<(CpalAudio, AudioPort, Vec<AudioEvent>), DeviceError> {
        let (media, device_ends) = ring_pair();
        let (port, swap) = AudioPort::new(media);
        let mut audio = CpalAudio {
            host: cpal::default_host(),
            mic_choice: mic.map(str::to_owned),
            speaker_choice: speaker.map(str::to_owned),
            open: None,
            mic_failed: Arc::new(AtomicBool::new(false)),
            speaker_failed: Arc::new(AtomicBool::new(false)),
            swap,
        };
        let events = audio.open_with(device_ends)?;
        Ok((audio, port, events))
    }

    /// Names of the devices in use (microphone, speaker).
    pub fn active(&self) -> (Option<&str>, Option<&str>) {
        match &self.open {
            Some(o) => (Some(o.mic_name.as_str()), Some(o.speaker_name.as_str())),
            None => (None, None),
        }
    }

    /// Move the call to other devices without interrupting it (`None` keeps the current choice).
    pub fn switch(&mut self, mic: Option<&str>, speaker: Option<&str>) -> Result<Vec<AudioEvent>, DeviceError> {
        if let Some(m) = mic {
            self.mic_choice = Some(m.to_owned());
        }
        if let Some(s) = speaker {
            self.speaker_choice = Some(s.to_owned());
        }
        self.reopen()
    }

    /// Check for failed devices; reopen on the default device when one was lost.
    pub fn poll(&mut self) -> Vec<AudioEvent> {
        let mic_lost = self.mic_failed.swap(false, Ordering::Relaxed);
        let speaker_lost = self.speaker_failed.swap(false, Ordering::Relaxed);
        if !mic_lost && !speaker_lost {
            return Vec::new();
        }
        let (old_mic, old_speaker) = match &self.open {
            Some(o) => (o.mic_name.clone(), o.speaker_name.clone()),
            None => (String::new(), String::new()),
        };
        if mic_lost {
            self.mic_choice = None;
        }
        if speaker_lost {
            self.speaker_choice = None;
        }
        let mut events = match self.reopen() {
            Ok(ev) => ev,
            Err(e) => {
                let role = if mic_lost { DeviceRole::Microphone } else { DeviceRole::Speaker };
                return vec![AudioEvent::DeviceUnavailable { role, reason: e.to_string() }];
            }
        };
        let (new_mic, new_speaker) = match &self.open {
            Some(o) => (o.mic_name.clone(), o.speaker_name.clone()),
            None => (String::new(), String::new()),
        };
        if mic_lost {
            events.push(AudioEvent::DeviceLost { role: DeviceRole::Microphone, name: old_mic, fallback: new_mic });
        }
        if speaker_lost {
            events.push(AudioEvent::DeviceLost { role: DeviceRole::Speaker, name: old_speaker, fallback: new_speaker });
        }
        events
    }

    fn reopen(&mut self) -> Result<Vec<AudioEvent>, DeviceError> {
        let (media, device_ends) = ring_pair();
        // Close the old streams first: some hosts allow one stream per device.
        self.open = None;
        let events = self.open_with(device_ends)?;
        self.swap.swap(media);
        Ok(events)
    }

    fn open_with(&mut self, ends: DeviceEnds) -> Result<Vec<AudioEvent>, DeviceError> {
        let mut events = Vec::new();
        let mic_dev = self.pick(DeviceRole::Microphone, &mut events)?;
        let speaker_dev = self.pick(DeviceRole::Speaker, &mut events)?;
        let DeviceEnds { mic, speaker } = ends;
        let mic_stream = open_input(&mic_dev, mic, self.mic_failed.clone())?;
        let speaker_stream = open_output(&speaker_dev, DeviceRole::Speaker, speaker, self.speaker_failed.clone())?;
        let (mic_name, speaker_name) = (device_name(&mic_dev), device_name(&speaker_dev));
        events.push(AudioEvent::DeviceActive { role: DeviceRole::Microphone, name: mic_name.clone() });
        events.push(AudioEvent::DeviceActive { role: DeviceRole::Speaker, name: speaker_name.clone() });
        self.open = Some(Open { _mic: Some(mic_stream), _speaker: Some(speaker_stream), mic_name, speaker_name });
        Ok(events)
    }

    fn pick(&mut self, role: DeviceRole, events: &mut Vec<AudioEvent>) -> Result<cpal::Device, DeviceError> {
        let choice = if role == DeviceRole::Microphone { &mut self.mic_choice } else { &mut self.speaker_choice };
        match find(&self.host, role, choice.as_deref()) {
            Ok(d) => Ok(d),
            Err(DeviceError::NotFound { name, .. }) => {
                let d = find(&self.host, role, None)?;
                events.push(AudioEvent::DeviceLost { role, name, fallback: device_name(&d) });
                *choice = None;
                Ok(d)
            }
            Err(e) => Err(e),
        }
    }
}

/// The ringer: a separate output device that plays the ring tone (e.g. loud speakers while the call
/// audio goes to a headset).
pub struct Ringer {
    _stream: cpal::Stream,
    name: String,
}

impl Ringer {
    /// Start playing `tone` (48 kHz mono, looped) on the chosen device (`None`: default output).
    pub fn start(device: Option<&str>, tone: Arc<[i16]>) -> Result<Ringer, DeviceError> {
        let host = cpal::default_host();
        let dev = match find(&host, DeviceRole::Ringer, device) {
            Ok(d) => d,
            Err(DeviceError::NotFound { .. }) => find(&host, DeviceRole::Ringer, None)?,
            Err(e) => return Err(e),
        };
        let name = device_name(&dev);
        let config = stream_config(&dev, false);
        let channels = usize::from(config.channels);
        let mut pos = 0usize;
        let stream = dev
            .build_output_stream::<f32, _, _>(
                config,
                move |data: &mut [f32], _| {
                    for frame in data.chunks_mut(channels) {
                        let s = if tone.is_empty() { 0.0 } else { f32::from(tone[pos % tone.len()]) / 32768.0 };
                        pos = pos.wrapping_add(1);
                        frame.fill(s);
                    }
                },
                |_e| {},
                None,
            )
            .map_err(|e| DeviceError::Open { role: DeviceRole::Ringer, name: name.clone(), reason: e.to_string() })?;
        stream
            .play()
            .map_err(|e| DeviceError::Open { role: DeviceRole::Ringer, name: name.clone(), reason: e.to_string() })?;
        Ok(Ringer { _stream: stream, name })
    }

    pub fn device_name(&self) -> &str {
        &self.name
    }
}
