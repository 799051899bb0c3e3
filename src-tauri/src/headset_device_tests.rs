use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::*;
use crate::headset::tests::HEADSET;
use lifeline_engine::api::{CallState, Direction};

/// What the fake device's other side sees and does: input reports to hand out, output reports written,
/// and whether it is plugged in.
#[derive(Default)]
struct Wire {
    input: VecDeque<Vec<u8>>,
    written: Vec<Vec<u8>>,
    plugged: bool,
    descriptor: Vec<u8>,
}

type Shared = Arc<Mutex<Wire>>;

struct FakeDevice(Shared);

impl Device for FakeDevice {
    fn descriptor(&self) -> Result<Vec<u8>, DeviceError> {
        Ok(self.0.lock().expect("wire").descriptor.clone())
    }
    fn read(&self, buf: &mut [u8], _wait: Duration) -> Result<usize, DeviceError> {
        let mut w = self.0.lock().expect("wire");
        if !w.plugged {
            return Err(DeviceError::Gone("unplugged".into()));
        }
        Ok(w.input.pop_front().map_or(0, |r| {
            buf[..r.len()].copy_from_slice(&r);
            r.len()
        }))
    }
    fn write(&self, report: &[u8]) -> Result<(), DeviceError> {
        let mut w = self.0.lock().expect("wire");
        if !w.plugged {
            return Err(DeviceError::Gone("unplugged".into()));
        }
        w.written.push(report.to_vec());
        Ok(())
    }
}

struct FakeBus(Vec<(Found, Shared)>);

impl Bus for FakeBus {
    type Dev = FakeDevice;
    fn telephony(&mut self) -> Result<Vec<Found>, DeviceError> {
        Ok(self
            .0
            .iter()
            .filter(|(_, w)| w.lock().expect("wire").plugged)
            .map(|(f, _)| f.clone())
            .collect())
    }
    fn open(&mut self, path: &str) -> Result<FakeDevice, DeviceError> {
        self.0
            .iter()
            .find(|(f, _)| f.path == path)
            .map(|(_, w)| FakeDevice(w.clone()))
            .ok_or_else(|| DeviceError::Open("no such device".into()))
    }
}

fn wire(descriptor: &[u8]) -> Shared {
    Arc::new(Mutex::new(Wire {
        plugged: true,
        descriptor: descriptor.to_vec(),
        ..Default::default()
    }))
}

fn found(path: &str) -> Found {
    Found {
        path: path.into(),
        product: format!("headset {path}"),
    }
}

struct Rig {
    worker: Worker<FakeBus>,
    events: std::sync::mpsc::Sender<Event>,
    commands: mpsc::Receiver<Command>,
}

fn rig(devices: Vec<(Found, Shared)>) -> Rig {
    let (events, rx) = std::sync::mpsc::channel();
    let (tx, commands) = mpsc::channel(8);
    Rig {
        worker: Worker::new(FakeBus(devices), rx, tx, Duration::ZERO),
        events,
        commands,
    }
}

fn incoming(id: &str) -> Event {
    crate::test_support::call_event(id, CallState::Incoming, Direction::In, "sip:bob@x", false)
}

fn call(id: &str, state: CallState) -> Event {
    crate::test_support::call_event(id, state, Direction::In, "sip:bob@x", false)
}

/// Report id 2; bit 0 hook switch, bit 1 mute; LEDs bit 0 ring, 1 off-hook, 2 mute.
const ON_HOOK: [u8; 2] = [2, 0b00];
const OFF_HOOK: [u8; 2] = [2, 0b01];
const OFF_HOOK_MUTE: [u8; 2] = [2, 0b11];
const LEDS_OFF: [u8; 2] = [2, 0b000];
const LED_RING: [u8; 2] = [2, 0b001];
const LED_OFF_HOOK: [u8; 2] = [2, 0b010];
const LED_OFF_HOOK_MUTE: [u8; 2] = [2, 0b110];

#[test]
fn the_hook_switch_answers_and_hangs_up_mute_toggles_and_the_lights_follow() {
    let w = wire(HEADSET);
    let mut r = rig(vec![(found("/dev/hidraw3"), w.clone())]);
    assert_eq!(r.worker.step(), Flow::Continue);
    assert!(r.worker.has_device());
    // On opening, the lights as they are: all off.
    assert_eq!(w.lock().expect("wire").written, vec![LEDS_OFF.to_vec()]);

    r.events.send(incoming("c1")).expect("send");
    r.worker.step();
    assert_eq!(
        w.lock().expect("wire").written.last(),
        Some(&LED_RING.to_vec())
    );

    w.lock().expect("wire").input.push_back(OFF_HOOK.to_vec());
    r.worker.step();
    assert_eq!(
        r.commands.try_recv().ok(),
        Some(Command::Answer { call: None })
    );
    r.events
        .send(call("c1", CallState::Connected))
        .expect("send");
    r.worker.step();
    assert_eq!(
        w.lock().expect("wire").written.last(),
        Some(&LED_OFF_HOOK.to_vec())
    );

    w.lock()
        .expect("wire")
        .input
        .push_back(OFF_HOOK_MUTE.to_vec());
    r.worker.step();
    assert_eq!(r.commands.try_recv().ok(), Some(Command::Mute { on: true }));
    r.events
        .send(Event::CallMuted {
            id: "c1".into(),
            on: true,
        })
        .expect("send");
    r.worker.step();
    assert_eq!(
        w.lock().expect("wire").written.last(),
        Some(&LED_OFF_HOOK_MUTE.to_vec())
    );

    w.lock().expect("wire").input.push_back(ON_HOOK.to_vec());
    r.worker.step();
    assert_eq!(
        r.commands.try_recv().ok(),
        Some(Command::Hangup { call: None })
    );
    r.events.send(call("c1", CallState::Ended)).expect("send");
    r.worker.step();
    assert_eq!(
        w.lock().expect("wire").written.last(),
        Some(&LEDS_OFF.to_vec())
    );
}

#[test]
fn unplugged_it_is_let_go_and_plugged_back_it_shows_the_call_that_rings() {
    let w = wire(HEADSET);
    let mut r = rig(vec![(found("/dev/hidraw3"), w.clone())]);
    r.worker.step();
    assert!(r.worker.has_device());
    w.lock().expect("wire").plugged = false;
    assert_eq!(
        r.worker.step(),
        Flow::Continue,
        "an unplugged headset is no error"
    );
    assert!(!r.worker.has_device());
    // Meanwhile a call comes: the state machine still follows the engine.
    r.events.send(incoming("c2")).expect("send");
    r.worker.step();
    assert!(!r.worker.has_device());
    {
        let mut wire = w.lock().expect("wire");
        wire.plugged = true;
        wire.written.clear();
    }
    r.worker.step();
    assert!(r.worker.has_device());
    assert_eq!(w.lock().expect("wire").written, vec![LED_RING.to_vec()]);
}

#[test]
fn a_telephony_device_without_a_hook_switch_is_passed_over_and_a_headset_beside_it_used() {
    // The Telephony page with only a keypad: not call control.
    let keypad: &[u8] = &[
        0x05, 0x0B, 0x09, 0x06, 0xA1, 0x01, 0x09, 0xB0, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95,
        0x08, 0x81, 0x02, 0xC0,
    ];
    let k = wire(keypad);
    let h = wire(HEADSET);
    let mut r = rig(vec![
        (found("/dev/hidraw1"), k.clone()),
        (found("/dev/hidraw2"), h.clone()),
    ]);
    r.worker.step();
    assert!(r.worker.has_device());
    assert!(k.lock().expect("wire").written.is_empty());
    assert_eq!(h.lock().expect("wire").written, vec![LEDS_OFF.to_vec()]);
}

#[test]
fn without_any_headset_it_waits_and_stops_with_the_engine() {
    let mut r = rig(Vec::new());
    assert_eq!(r.worker.step(), Flow::Continue);
    assert!(!r.worker.has_device());
    drop(r.events);
    assert_eq!(r.worker.step(), Flow::Stop);
}

#[test]
fn only_calls_and_mute_go_to_the_headset() {
    assert!(wants(&incoming("c1")));
    assert!(wants(&Event::CallMuted {
        id: "c1".into(),
        on: false
    }));
    assert!(!wants(&Event::DialRequest { number: "1".into() }));
}

/// A virtual headset made through the kernel's uhid interface, read and driven by the real hidapi bus.
#[cfg(target_os = "linux")]
mod uhid {
    use super::*;
    use std::fs::{File, OpenOptions};
    use std::io::{Read, Write};
    use std::time::Instant;

    const UHID_DESTROY: u32 = 1;
    const UHID_OUTPUT: u32 = 6;
    const UHID_CREATE2: u32 = 11;
    const UHID_INPUT2: u32 = 12;
    /// `struct uhid_event`: a u32 type, then the largest request (create2: 128 + 64 + 64 + 2 + 2 + 4 * 4 +
    /// 4096 bytes), packed.
    const EVENT_SIZE: usize = 4 + 128 + 64 + 64 + 2 + 2 + 16 + 4096;
    const BUS_USB: u16 = 0x03;

    fn create2(descriptor: &[u8]) -> Vec<u8> {
        let mut ev = vec![0u8; EVENT_SIZE];
        ev[..4].copy_from_slice(&UHID_CREATE2.to_ne_bytes());
        let name = b"Lifeline virtual headset";
        ev[4..4 + name.len()].copy_from_slice(name);
        let mut at = 4 + 128 + 64 + 64;
        ev[at..at + 2].copy_from_slice(&(descriptor.len() as u16).to_ne_bytes());
        at += 2;
        ev[at..at + 2].copy_from_slice(&BUS_USB.to_ne_bytes());
        at += 2;
        for v in [0x1209u32, 0x0001, 1, 0] {
            ev[at..at + 4].copy_from_slice(&v.to_ne_bytes());
            at += 4;
        }
        ev[at..at + descriptor.len()].copy_from_slice(descriptor);
        ev
    }

    fn input2(report: &[u8]) -> Vec<u8> {
        let mut ev = vec![0u8; EVENT_SIZE];
        ev[..4].copy_from_slice(&UHID_INPUT2.to_ne_bytes());
        ev[4..6].copy_from_slice(&(report.len() as u16).to_ne_bytes());
        ev[6..6 + report.len()].copy_from_slice(report);
        ev
    }

    /// The next output report the app wrote to the virtual headset (`UHID_OUTPUT`: data[4096], size u16).
    fn next_output(uhid: &mut File, deadline: Instant) -> Vec<u8> {
        let mut ev = vec![0u8; EVENT_SIZE];
        while Instant::now() < deadline {
            let n = uhid.read(&mut ev).expect("read /dev/uhid");
            if n >= 4 && u32::from_ne_bytes([ev[0], ev[1], ev[2], ev[3]]) == UHID_OUTPUT {
                let size = u16::from_ne_bytes([ev[4 + 4096], ev[4 + 4097]]) as usize;
                return ev[4..4 + size].to_vec();
            }
        }
        panic!("no output report from the app");
    }

    #[test]
    fn a_virtual_uhid_headset_answers_hangs_up_mutes_and_shows_the_lights() {
        let Ok(mut uhid) = OpenOptions::new().read(true).write(true).open("/dev/uhid") else {
            eprintln!(
                "SKIPPED: /dev/uhid is absent or not writable (a kernel without CONFIG_UHID, or not root): \
                 the virtual headset cannot be made here"
            );
            return;
        };
        uhid.write_all(&create2(HEADSET)).expect("UHID_CREATE2");
        let (events, rx) = std::sync::mpsc::channel();
        let (tx, mut commands) = mpsc::channel(8);
        let bus = Hid::new().expect("hidapi");
        let mut worker = Worker::new(bus, rx, tx, Duration::from_millis(100));
        let deadline = Instant::now() + Duration::from_secs(20);
        while !worker.has_device() {
            assert!(
                Instant::now() < deadline,
                "the virtual headset never showed up in hidapi"
            );
            worker.step();
        }
        // Opened: the lights as they are (all off).
        assert_eq!(next_output(&mut uhid, deadline), LEDS_OFF.to_vec());

        events.send(incoming("c1")).expect("send");
        worker.step();
        assert_eq!(next_output(&mut uhid, deadline), LED_RING.to_vec());

        let mut press = |report: &[u8], want: Command, worker: &mut Worker<Hid>| {
            uhid.write_all(&input2(report)).expect("UHID_INPUT2");
            loop {
                assert!(Instant::now() < deadline, "no {want:?} from the headset");
                worker.step();
                if let Ok(cmd) = commands.try_recv() {
                    assert_eq!(cmd, want);
                    break;
                }
            }
        };
        press(&OFF_HOOK, Command::Answer { call: None }, &mut worker);
        events.send(call("c1", CallState::Connected)).expect("send");
        worker.step();
        press(&OFF_HOOK_MUTE, Command::Mute { on: true }, &mut worker);
        events
            .send(Event::CallMuted {
                id: "c1".into(),
                on: true,
            })
            .expect("send");
        worker.step();
        press(&ON_HOOK, Command::Hangup { call: None }, &mut worker);
        assert_eq!(next_output(&mut uhid, deadline), LED_OFF_HOOK.to_vec());
        assert_eq!(next_output(&mut uhid, deadline), LED_OFF_HOOK_MUTE.to_vec());

        // Unplugged: let go, no error.
        let mut destroy = vec![0u8; EVENT_SIZE];
        destroy[..4].copy_from_slice(&UHID_DESTROY.to_ne_bytes());
        uhid.write_all(&destroy).expect("UHID_DESTROY");
        while worker.has_device() {
            assert!(Instant::now() < deadline, "the unplugged headset was kept");
            assert_eq!(worker.step(), Flow::Continue);
        }
    }
}
