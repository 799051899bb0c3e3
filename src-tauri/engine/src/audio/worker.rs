//! The sound card's owner while a call has it open: one thread that opens, moves, checks and closes a
//! call's devices and lists the devices there are. All of that blocks (a second or two on PulseAudio), so
//! neither the engine's core nor its async driver does it. Work is carried out in order: the last call's
//! devices are closed before the next call's are opened (PulseAudio refuses a second playback stream).

use std::sync::mpsc;
use std::time::Instant;

use super::devices::{list_devices, CpalAudio, DeviceInfo};
use super::line::{DeviceOpening, OpenedDevices};
use super::AudioEvent;

/// What the core asks of the sound card (see [`super::line::AudioLine`], which says when).
pub enum DeviceWork {
    /// Close the open devices, if any, and open these for the call of this audio generation.
    Open(DeviceOpening, u64),
    /// The opened devices feed the call: hold them (and check them) until `Release`.
    Keep(CpalAudio),
    /// Opened for a call that is gone: close them.
    Discard(CpalAudio),
    /// Move the call to other devices (`None` keeps one).
    Switch {
        mic: Option<String>,
        speaker: Option<String>,
    },
    /// Look for lost devices; the default takes over.
    Poll(Instant),
    /// No call needs the sound card any more.
    Release,
    /// List the devices there are.
    List,
}

/// What the worker found, for the core.
#[allow(
    clippy::large_enum_variant,
    reason = "a message moved once through a channel, never held in bulk; boxing would only add an allocation"
)]
pub enum DeviceReport {
    Opened(OpenedDevices, u64),
    /// The devices the call moved to (or why it could not move).
    Switched(Result<Vec<AudioEvent>, String>),
    /// Devices lost (and what took over).
    Polled(Vec<AudioEvent>),
    Listed(Vec<DeviceInfo>),
}

/// Starts the worker; it stops when the sender is dropped.
pub fn spawn(
    report: impl Fn(DeviceReport) + Send + 'static,
) -> std::io::Result<mpsc::Sender<DeviceWork>> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("sound-devices".into())
        .spawn(move || {
            let mut open: Option<CpalAudio> = None;
            for work in rx {
                if let Some(r) = carry_out(work, &mut open) {
                    report(r);
                }
            }
        })?;
    Ok(tx)
}

fn carry_out(work: DeviceWork, open: &mut Option<CpalAudio>) -> Option<DeviceReport> {
    match work {
        DeviceWork::Open(opening, generation) => {
            *open = None;
            Some(DeviceReport::Opened(opening.open(), generation))
        }
        DeviceWork::Keep(audio) => {
            *open = Some(audio);
            None
        }
        DeviceWork::Discard(audio) => {
            drop(audio);
            None
        }
        DeviceWork::Switch { mic, speaker } => Some(DeviceReport::Switched(match open.as_mut() {
            Some(audio) => audio
                .switch(mic.as_deref(), speaker.as_deref())
                .map_err(|e| e.to_string()),
            None => Ok(vec![]),
        })),
        DeviceWork::Poll(now) => {
            let lost = open.as_mut().map(|a| a.poll(now)).unwrap_or_default();
            (!lost.is_empty()).then_some(DeviceReport::Polled(lost))
        }
        DeviceWork::Release => {
            *open = None;
            None
        }
        DeviceWork::List => Some(DeviceReport::Listed(list_devices().unwrap_or_else(|e| {
            tracing::warn!("listing audio devices: {e}");
            Vec::new()
        }))),
    }
}
