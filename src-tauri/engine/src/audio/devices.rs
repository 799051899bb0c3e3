//! Real audio devices through cpal: listing, opening a microphone and a speaker onto the ring buffers,
//! switching mid-call and falling back to the default device when one disappears.
//!
//! The cpal callbacks only copy samples between the device buffer and a ring (rtrb): no locks, no
//! allocation, no blocking. A stream error sets an atomic flag; [`CpalAudio::poll`] (called by the owner,
//! e.g. every 100 ms) sees it and reopens the default device, reporting [`AudioEvent::DeviceLost`].
//! On Linux the PulseAudio host is used when a server runs (it names the real sinks and sources).

use super::{ring_pair, AudioEvent, AudioPort, AudioSwap, DeviceEnds, DeviceRole, RATE};
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    #[error(
        "the sound system cannot be reached ({0}); check that audio is available on this computer"
    )]
    Host(String),
    #[error("no {role:?} device named '{name}' was found; choose another in the audio settings")]
    NotFound { role: DeviceRole, name: String },
    #[error("there is no default {0:?} device; connect one or choose one in the audio settings")]
    NoDefault(DeviceRole),
    #[error("the {role:?} device '{name}' could not be opened: {reason}")]
    Open {
        role: DeviceRole,
        name: String,
        reason: String,
    },
}

impl DeviceError {
    /// The `device_unavailable` event for `role`: the English, and a code with the values it names.
    pub fn unavailable(&self, role: DeviceRole) -> AudioEvent {
        use crate::api::DeviceCode;
        let (code, params): (DeviceCode, Vec<(&str, &String)>) = match self {
            DeviceError::Host(detail) => (DeviceCode::SoundSystem, vec![("detail", detail)]),
            DeviceError::NotFound { name, .. } => (DeviceCode::NotFound, vec![("name", name)]),
            DeviceError::NoDefault(_) => (DeviceCode::NoDefault, vec![]),
            DeviceError::Open { name, reason, .. } => (
                DeviceCode::OpenFailed,
                vec![("name", name), ("detail", reason)],
            ),
        };
        AudioEvent::DeviceUnavailable {
            role,
            reason: self.to_string(),
            code: Some(code),
            params: params
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.clone()))
                .collect(),
        }
    }
}

/// A device as the settings screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
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
    d.description()
        .map(|desc| desc.name().to_owned())
        .unwrap_or_else(|_| device_id(d))
}

/// Every input and output device of the default host.
pub fn list_devices() -> Result<Vec<DeviceInfo>, DeviceError> {
    let host = cpal::default_host();
    let default_in = host.default_input_device().map(|d| device_id(&d));
    let default_out = host.default_output_device().map(|d| device_id(&d));
    let devices = host
        .devices()
        .map_err(|e| DeviceError::Host(e.to_string()))?;
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
fn find(
    host: &cpal::Host,
    role: DeviceRole,
    wanted: Option<&str>,
) -> Result<cpal::Device, DeviceError> {
    let input = role == DeviceRole::Microphone;
    match wanted {
        None => if input {
            host.default_input_device()
        } else {
            host.default_output_device()
        }
        .ok_or(DeviceError::NoDefault(role)),
        Some(name) => host
            .devices()
            .map_err(|e| DeviceError::Host(e.to_string()))?
            .find(|d| {
                (if input {
                    d.supports_input()
                } else {
                    d.supports_output()
                }) && (device_id(d) == name || device_name(d) == name)
            })
            .ok_or_else(|| DeviceError::NotFound {
                role,
                name: name.to_owned(),
            }),
    }
}

/// Playback period in frames (50 ms at 48 kHz).
const OUTPUT_PERIOD: u32 = 2400;

fn stream_config(device: &cpal::Device, input: bool) -> cpal::StreamConfig {
    let channels = if input {
        device.default_input_config()
    } else {
        device.default_output_config()
    }
    .map(|c| c.channels())
    .unwrap_or(1)
    .max(1);
    // Fixed, small buffers. Default attributes make PulseAudio prebuffer seconds (a record stream then
    // takes ~2 s to deliver anything, a playback stream asks for 4 s up front). Capture: 20 ms periods.
    // Playback: 50 ms periods (100 ms buffered): with 20 ms the server ran dry whenever this machine
    // was loaded and the far end's voice had holes.
    let frames = if input { 960 } else { OUTPUT_PERIOD };
    cpal::StreamConfig {
        channels,
        sample_rate: RATE,
        buffer_size: cpal::BufferSize::Fixed(frames),
    }
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
            error_flag(failed, DeviceRole::Microphone),
            None,
        )
        .map_err(|e| DeviceError::Open {
            role: DeviceRole::Microphone,
            name: name.clone(),
            reason: e.to_string(),
        })?;
    stream.play().map_err(|e| DeviceError::Open {
        role: DeviceRole::Microphone,
        name,
        reason: e.to_string(),
    })?;
    Ok(stream)
}

/// Counters the real-time callbacks keep (relaxed atomics: no locks), for statistics and tests.
#[derive(Debug, Default)]
pub struct StreamCounters {
    pub callbacks: AtomicU64,
    /// Samples played from the far end.
    pub played: AtomicU64,
    /// Samples the device wanted while the ring was empty (played as silence).
    pub underrun: AtomicU64,
}

fn open_output(
    device: &cpal::Device,
    role: DeviceRole,
    mut ring: rtrb::Consumer<i16>,
    failed: Arc<AtomicBool>,
    counters: Arc<StreamCounters>,
) -> Result<cpal::Stream, DeviceError> {
    let config = stream_config(device, false);
    let channels = usize::from(config.channels);
    let name = device_name(device);
    let stream = device
        .build_output_stream::<f32, _, _>(
            config,
            move |data: &mut [f32], _| {
                // Real-time: pop one mono sample per frame, silence when the ring is empty.
                let (mut played, mut missing) = (0u64, 0u64);
                for frame in data.chunks_mut(channels) {
                    let s = match ring.pop() {
                        Ok(v) => {
                            played += 1;
                            f32::from(v) / 32768.0
                        }
                        Err(_) => {
                            missing += 1;
                            0.0
                        }
                    };
                    frame.fill(s);
                }
                counters.callbacks.fetch_add(1, Ordering::Relaxed);
                counters.played.fetch_add(played, Ordering::Relaxed);
                counters.underrun.fetch_add(missing, Ordering::Relaxed);
            },
            error_flag(failed, role),
            None,
        )
        .map_err(|e| DeviceError::Open {
            role,
            name: name.clone(),
            reason: e.to_string(),
        })?;
    stream.play().map_err(|e| DeviceError::Open {
        role,
        name,
        reason: e.to_string(),
    })?;
    Ok(stream)
}

/// Whether a stream error means the device is gone (reopen elsewhere) or was only a glitch.
fn is_fatal(e: &cpal::Error) -> bool {
    !matches!(
        e.kind(),
        cpal::ErrorKind::Xrun | cpal::ErrorKind::DeviceChanged | cpal::ErrorKind::RealtimeDenied
    )
}

fn error_flag(
    failed: Arc<AtomicBool>,
    role: DeviceRole,
) -> impl FnMut(cpal::Error) + Send + 'static {
    // Runs on the host's stream thread, not in the real-time data callback: logging is fine here.
    move |e| {
        if is_fatal(&e) {
            tracing::warn!("{role:?} device failed: {e}");
            failed.store(true, Ordering::Relaxed);
        } else {
            tracing::debug!("{role:?} device glitch: {e}");
        }
    }
}

struct Opened {
    _stream: cpal::Stream,
    id: String,
    name: String,
}

/// How often [`CpalAudio::poll`] checks that the devices in use still exist. Some hosts keep a stream
/// alive on another device when its own disappears (PulseAudio moves it to the default sink) and report
/// no error; the user must still be told.
const PRESENCE_CHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// Microphone and speaker of a call on real devices. Each direction is opened, switched and recovered
/// on its own, so changing the speaker never interrupts the microphone.
pub struct CpalAudio {
    /// One host (on PulseAudio: one server connection) per direction. With a single connection,
    /// an open record stream starved the playback stream (4 callbacks in 4 s here).
    host: cpal::Host,
    mic_host: cpal::Host,
    /// A third connection for the presence checks, so listing never waits behind a stream.
    list_host: cpal::Host,
    mic_choice: Option<String>,
    speaker_choice: Option<String>,
    mic: Option<Opened>,
    speaker: Option<Opened>,
    mic_failed: Arc<AtomicBool>,
    speaker_failed: Arc<AtomicBool>,
    swap: AudioSwap,
    pub speaker_counters: Arc<StreamCounters>,
    last_presence_check: Option<std::time::Instant>,
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
            mic_host: cpal::default_host(),
            list_host: cpal::default_host(),
            mic_choice: mic.map(str::to_owned),
            speaker_choice: speaker.map(str::to_owned),
            mic: None,
            speaker: None,
            mic_failed: Arc::new(AtomicBool::new(false)),
            speaker_failed: Arc::new(AtomicBool::new(false)),
            swap,
            speaker_counters: Arc::new(StreamCounters::default()),
            last_presence_check: None,
        };
        let DeviceEnds { mic, speaker } = device_ends;
        let mut events = Vec::new();
        audio.open_speaker(speaker, &mut events)?;
        audio.open_mic(mic, &mut events)?;
        Ok((audio, port, events))
    }

    /// From now on, device changes go to the port behind `swap` (the call's own port, which took this
    /// device's ring ends when the devices were opened after the call had started).
    pub fn rebind(&mut self, swap: AudioSwap) {
        self.swap = swap;
    }

    /// Names of the devices in use (microphone, speaker).
    pub fn active(&self) -> (Option<&str>, Option<&str>) {
        (
            self.mic.as_ref().map(|o| o.name.as_str()),
            self.speaker.as_ref().map(|o| o.name.as_str()),
        )
    }

    /// Move the call to other devices without interrupting it (`None` keeps the current one).
    pub fn switch(
        &mut self,
        mic: Option<&str>,
        speaker: Option<&str>,
    ) -> Result<Vec<AudioEvent>, DeviceError> {
        let mut events = Vec::new();
        if let Some(m) = mic {
            self.mic_choice = Some(m.to_owned());
            self.reopen_mic(&mut events)?;
        }
        if let Some(s) = speaker {
            self.speaker_choice = Some(s.to_owned());
            self.reopen_speaker(&mut events)?;
        }
        Ok(events)
    }

    /// Check for failed or vanished devices; reopen on the default device when one was lost. Call it
    /// regularly (e.g. every 100 ms) from a non-real-time thread; `now` paces the device-list checks.
    pub fn poll(&mut self, now: std::time::Instant) -> Vec<AudioEvent> {
        let due = self
            .last_presence_check
            .is_none_or(|t| now.saturating_duration_since(t) >= PRESENCE_CHECK);
        if due {
            self.last_presence_check = Some(now);
            self.check_presence();
        }
        let mut events = Vec::new();
        if self.mic_failed.swap(false, Ordering::Relaxed) {
            let old = self.mic.take().map(|o| o.name).unwrap_or_default();
            self.mic_choice = None;
            match self.reopen_mic(&mut events) {
                Ok(()) => events.push(AudioEvent::DeviceLost {
                    role: DeviceRole::Microphone,
                    name: old,
                    fallback: self.active().0.unwrap_or_default().to_owned(),
                }),
                Err(e) => events.push(e.unavailable(DeviceRole::Microphone)),
            }
        }
        if self.speaker_failed.swap(false, Ordering::Relaxed) {
            let old = self.speaker.take().map(|o| o.name).unwrap_or_default();
            self.speaker_choice = None;
            match self.reopen_speaker(&mut events) {
                Ok(()) => events.push(AudioEvent::DeviceLost {
                    role: DeviceRole::Speaker,
                    name: old,
                    fallback: self.active().1.unwrap_or_default().to_owned(),
                }),
                Err(e) => events.push(e.unavailable(DeviceRole::Speaker)),
            }
        }
        events
    }

    fn check_presence(&mut self) {
        let Ok(devices) = self.list_host.devices() else {
            return;
        };
        let ids: Vec<String> = devices.map(|d| device_id(&d)).collect();
        if let Some(m) = &self.mic {
            if !ids.contains(&m.id) {
                self.mic_failed.store(true, Ordering::Relaxed);
            }
        }
        if let Some(s) = &self.speaker {
            if !ids.contains(&s.id) {
                self.speaker_failed.store(true, Ordering::Relaxed);
            }
        }
    }

    fn reopen_mic(&mut self, events: &mut Vec<AudioEvent>) -> Result<(), DeviceError> {
        let (producer, consumer) = rtrb::RingBuffer::new(super::RING_CAPACITY);
        self.mic = None; // some hosts allow one stream per device
        self.open_mic(producer, events)?;
        self.swap.swap_mic(consumer);
        Ok(())
    }

    fn reopen_speaker(&mut self, events: &mut Vec<AudioEvent>) -> Result<(), DeviceError> {
        let (producer, consumer) = rtrb::RingBuffer::new(super::RING_CAPACITY);
        // Close the old stream first: cpal's PulseAudio host refuses a second playback stream while one
        // is open ("Invalid argument"). The gap is one stream start-up (tens of ms); the call goes on.
        let t = std::time::Instant::now();
        self.speaker = None;
        self.open_speaker(consumer, events)?;
        self.swap.swap_speaker(producer);
        tracing::debug!("speaker switched in {:?}", t.elapsed());
        Ok(())
    }

    fn open_mic(
        &mut self,
        ring: rtrb::Producer<i16>,
        events: &mut Vec<AudioEvent>,
    ) -> Result<(), DeviceError> {
        let t = std::time::Instant::now();
        let dev = self.pick(DeviceRole::Microphone, events)?;
        tracing::debug!("microphone device found in {:?}", t.elapsed());
        let stream = open_input(&dev, ring, self.mic_failed.clone())?;
        tracing::debug!("microphone stream open in {:?}", t.elapsed());
        let name = device_name(&dev);
        events.push(AudioEvent::DeviceActive {
            role: DeviceRole::Microphone,
            name: name.clone(),
        });
        self.mic = Some(Opened {
            _stream: stream,
            id: device_id(&dev),
            name,
        });
        Ok(())
    }

    fn open_speaker(
        &mut self,
        ring: rtrb::Consumer<i16>,
        events: &mut Vec<AudioEvent>,
    ) -> Result<(), DeviceError> {
        let t = std::time::Instant::now();
        let dev = self.pick(DeviceRole::Speaker, events)?;
        tracing::debug!("speaker device found in {:?}", t.elapsed());
        let stream = open_output(
            &dev,
            DeviceRole::Speaker,
            ring,
            self.speaker_failed.clone(),
            self.speaker_counters.clone(),
        )?;
        tracing::debug!("speaker stream open in {:?}", t.elapsed());
        let name = device_name(&dev);
        events.push(AudioEvent::DeviceActive {
            role: DeviceRole::Speaker,
            name: name.clone(),
        });
        self.speaker = Some(Opened {
            _stream: stream,
            id: device_id(&dev),
            name,
        });
        Ok(())
    }

    fn pick(
        &mut self,
        role: DeviceRole,
        events: &mut Vec<AudioEvent>,
    ) -> Result<cpal::Device, DeviceError> {
        let (host, choice) = if role == DeviceRole::Microphone {
            (&self.mic_host, &mut self.mic_choice)
        } else {
            (&self.host, &mut self.speaker_choice)
        };
        match find(host, role, choice.as_deref()) {
            Ok(d) => Ok(d),
            Err(DeviceError::NotFound { name, .. }) => {
                let d = find(host, role, None)?;
                events.push(AudioEvent::DeviceLost {
                    role,
                    name,
                    fallback: device_name(&d),
                });
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
                        let s = if tone.is_empty() {
                            0.0
                        } else {
                            f32::from(tone[pos % tone.len()]) / 32768.0
                        };
                        pos = pos.wrapping_add(1);
                        frame.fill(s);
                    }
                },
                |_e| {},
                None,
            )
            .map_err(|e| DeviceError::Open {
                role: DeviceRole::Ringer,
                name: name.clone(),
                reason: e.to_string(),
            })?;
        stream.play().map_err(|e| DeviceError::Open {
            role: DeviceRole::Ringer,
            name: name.clone(),
            reason: e.to_string(),
        })?;
        Ok(Ringer {
            _stream: stream,
            name,
        })
    }

    pub fn device_name(&self) -> &str {
        &self.name
    }
}
