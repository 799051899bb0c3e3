//! The headset's device side: finds USB headsets with call control (HID interfaces whose usage page is
//! Telephony, 0x0B) through hidapi, reads their button reports into the [`Headset`] state machine, sends
//! the engine commands it asks for and writes the lights it wants as output reports.
//!
//! One worker thread owns the headset state and the open device: it reads with a short timeout and, in
//! between, takes the engine's events; without a device it looks again every few seconds (hot-plug). A
//! missing or unplugged headset is a log line, never an error: the app works the same without one.
//!
//! [`Bus`] and [`Device`] are the seams: hidapi in the app, a fake in the unit tests, a virtual uhid
//! headset in the Linux device test (`headset_device_tests.rs`).

use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::Duration;

use lifeline_engine::api::{Command, Event};
use tokio::sync::mpsc;

use crate::headset::{Headset, Layout, Leds};

/// The Telephony usage page (HID Usage Tables 1.5, chapter 11).
pub const PAGE_TELEPHONY: u16 = 0x0B;
/// How often the devices are looked at again while no headset is open.
pub const RESCAN: Duration = Duration::from_secs(3);
/// How long one read waits for a button report before the worker looks at the engine's events.
const READ_WAIT: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    #[error("the HID system cannot be used: {0}")]
    Unavailable(String),
    #[error("the device cannot be opened: {0}")]
    Open(String),
    /// Reading or writing failed: the device was unplugged, or it stopped answering.
    #[error("the device is gone: {0}")]
    Gone(String),
}

/// A telephony HID interface there is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The system's path for it (hidraw node on Linux); opaque.
    pub path: String,
    /// The product name, for the log.
    pub product: String,
}

/// One open HID interface.
pub trait Device {
    /// Its report descriptor.
    fn descriptor(&self) -> Result<Vec<u8>, DeviceError>;
    /// One input report (report id first when the device numbers its reports) into `buf`; 0 when none came
    /// within `wait`.
    fn read(&self, buf: &mut [u8], wait: Duration) -> Result<usize, DeviceError>;
    /// One output report, report id first (0 without ids).
    fn write(&self, report: &[u8]) -> Result<(), DeviceError>;
}

/// The HID interfaces of the machine.
pub trait Bus {
    type Dev: Device;
    /// The interfaces whose top-level usage page is Telephony, as they are now.
    fn telephony(&mut self) -> Result<Vec<Found>, DeviceError>;
    fn open(&mut self, path: &str) -> Result<Self::Dev, DeviceError>;
}

/// What the worker does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// The engine's events ended: the app is closing.
    Stop,
}

struct Open<D> {
    device: D,
    layout: Layout,
    product: String,
}

/// The worker: the headset state machine, the device it has open, and its channels.
pub struct Worker<B: Bus> {
    bus: B,
    events: Receiver<Event>,
    commands: mpsc::Sender<Command>,
    headset: Headset,
    open: Option<Open<B::Dev>>,
    rescan: Duration,
    /// Paths that are not call-control headsets (no hook switch) or failed to open: not tried again until
    /// they disappear, so the log says it once.
    passed_over: Vec<String>,
    /// Whether "no headset" was logged since the last one was there.
    said_none: bool,
}

impl<B: Bus> Worker<B> {
    pub fn new(
        bus: B,
        events: Receiver<Event>,
        commands: mpsc::Sender<Command>,
        rescan: Duration,
    ) -> Self {
        Self {
            bus,
            events,
            commands,
            headset: Headset::default(),
            open: None,
            rescan,
            passed_over: Vec::new(),
            said_none: false,
        }
    }

    /// Runs until the engine's events end.
    pub fn run(mut self) {
        while self.step() == Flow::Continue {}
        log::info!("headset: stopped");
    }

    /// One turn: with a headset, one read (up to [`READ_WAIT`]) and the events that came meanwhile;
    /// without one, a look for one and, if none, the events of the next `rescan`.
    pub fn step(&mut self) -> Flow {
        if self.open.is_none() {
            self.look();
        }
        if self.open.is_none() {
            return match self.events.recv_timeout(self.rescan) {
                Ok(ev) => {
                    self.headset.on_event(&ev);
                    self.drain()
                }
                Err(RecvTimeoutError::Timeout) => Flow::Continue,
                Err(RecvTimeoutError::Disconnected) => Flow::Stop,
            };
        }
        self.read_once();
        self.drain()
    }

    /// Whether a headset is open now.
    #[cfg(test)]
    pub fn has_device(&self) -> bool {
        self.open.is_some()
    }

    fn look(&mut self) {
        let found = match self.bus.telephony() {
            Ok(f) => f,
            Err(e) => {
                if !self.said_none {
                    log::info!("headset: none used ({e})");
                    self.said_none = true;
                }
                return;
            }
        };
        self.passed_over
            .retain(|p| found.iter().any(|f| f.path == *p));
        for f in found {
            if self.passed_over.contains(&f.path) {
                continue;
            }
            match self.try_open(&f) {
                Ok(open) => {
                    log::info!("headset: {} connected", open.product);
                    self.said_none = false;
                    self.open = Some(open);
                    // It shows the state as it is now (a call may ring already).
                    self.write_leds(self.headset.leds());
                    return;
                }
                Err(why) => {
                    log::info!("headset: {} not used ({why})", f.product);
                    self.passed_over.push(f.path);
                }
            }
        }
        if !self.said_none {
            log::info!(
                "headset: no call-control headset connected; looking again every {} s",
                self.rescan.as_secs()
            );
            self.said_none = true;
        }
    }

    fn try_open(&mut self, f: &Found) -> Result<Open<B::Dev>, String> {
        let device = self.bus.open(&f.path).map_err(|e| e.to_string())?;
        let desc = device.descriptor().map_err(|e| e.to_string())?;
        let layout = Layout::from_descriptor(&desc).map_err(|e| e.to_string())?;
        Ok(Open {
            device,
            layout,
            product: f.product.clone(),
        })
    }

    fn read_once(&mut self) {
        let Some(open) = &self.open else { return };
        let mut buf = [0u8; 64];
        match open.device.read(&mut buf, READ_WAIT) {
            Ok(0) => {}
            Ok(n) => {
                let Some(buttons) = open.layout.read_buttons(&buf[..n]) else {
                    return;
                };
                for cmd in self.headset.on_buttons(buttons) {
                    log::info!("headset: {cmd:?}");
                    if self.commands.try_send(cmd).is_err() {
                        log::warn!("headset: a button could not reach the engine");
                    }
                }
            }
            Err(e) => self.lost(&e),
        }
    }

    fn drain(&mut self) -> Flow {
        loop {
            match self.events.try_recv() {
                Ok(ev) => {
                    if let Some(leds) = self.headset.on_event(&ev) {
                        self.write_leds(leds);
                    }
                }
                Err(TryRecvError::Empty) => return Flow::Continue,
                Err(TryRecvError::Disconnected) => return Flow::Stop,
            }
        }
    }

    fn write_leds(&mut self, leds: Leds) {
        let Some(open) = &self.open else { return };
        let Some(report) = open.layout.led_report(leds) else {
            return;
        };
        if let Err(e) = open.device.write(&report) {
            self.lost(&e);
        }
    }

    fn lost(&mut self, e: &DeviceError) {
        if let Some(open) = self.open.take() {
            log::info!("headset: {} disconnected ({e})", open.product);
        }
    }
}

/// hidapi: the machine's HID interfaces.
pub struct Hid {
    api: hidapi::HidApi,
}

impl Hid {
    pub fn new() -> Result<Self, DeviceError> {
        hidapi::HidApi::new()
            .map(|api| Self { api })
            .map_err(|e| DeviceError::Unavailable(e.to_string()))
    }
}

impl Bus for Hid {
    type Dev = hidapi::HidDevice;

    fn telephony(&mut self) -> Result<Vec<Found>, DeviceError> {
        self.api
            .refresh_devices()
            .map_err(|e| DeviceError::Unavailable(e.to_string()))?;
        let mut out: Vec<Found> = Vec::new();
        for d in self.api.device_list() {
            if d.usage_page() != PAGE_TELEPHONY {
                continue;
            }
            let path = d.path().to_string_lossy().into_owned();
            if out.iter().any(|f| f.path == path) {
                continue;
            }
            let product = d.product_string().map_or_else(
                || format!("{:04x}:{:04x}", d.vendor_id(), d.product_id()),
                str::to_owned,
            );
            out.push(Found { path, product });
        }
        Ok(out)
    }

    fn open(&mut self, path: &str) -> Result<Self::Dev, DeviceError> {
        let c = std::ffi::CString::new(path).map_err(|e| DeviceError::Open(e.to_string()))?;
        self.api
            .open_path(&c)
            .map_err(|e| DeviceError::Open(e.to_string()))
    }
}

impl Device for hidapi::HidDevice {
    fn descriptor(&self) -> Result<Vec<u8>, DeviceError> {
        let mut buf = vec![0u8; hidapi::MAX_REPORT_DESCRIPTOR_SIZE];
        let n = self
            .get_report_descriptor(&mut buf)
            .map_err(|e| DeviceError::Gone(e.to_string()))?;
        buf.truncate(n);
        Ok(buf)
    }

    fn read(&self, buf: &mut [u8], wait: Duration) -> Result<usize, DeviceError> {
        let ms = i32::try_from(wait.as_millis()).unwrap_or(i32::MAX);
        self.read_timeout(buf, ms)
            .map_err(|e| DeviceError::Gone(e.to_string()))
    }

    fn write(&self, report: &[u8]) -> Result<(), DeviceError> {
        hidapi::HidDevice::write(self, report)
            .map(|_| ())
            .map_err(|e| DeviceError::Gone(e.to_string()))
    }
}

/// Starts the worker on its own thread with hidapi; the engine's events go to it through the returned
/// sender. Without a usable HID system (no hidraw access, say) it logs that and the app runs without
/// headset control.
pub fn start(commands: mpsc::Sender<Command>) -> std::sync::mpsc::Sender<Event> {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned =
        std::thread::Builder::new()
            .name("headset".into())
            .spawn(move || match Hid::new() {
                Ok(bus) => Worker::new(bus, rx, commands, RESCAN).run(),
                Err(e) => log::info!("headset: call control off ({e})"),
            });
    if let Err(e) = spawned {
        log::warn!("headset: call control off (no thread: {e})");
    }
    tx
}

/// Whether the headset needs to hear about `event` (the calls and the mute; the rest is not sent on).
pub fn wants(event: &Event) -> bool {
    matches!(event, Event::Call { .. } | Event::CallMuted { .. })
}

#[cfg(test)]
#[path = "headset_device_tests.rs"]
mod tests;
