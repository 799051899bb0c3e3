use super::*;
use lifeline_engine::api::{CallState, Direction, Event};

/// A call-control headset as USB headsets describe themselves (Telephony page: hook switch, phone mute,
/// flash; LED page: ring, off-hook, mute), report id 2 both ways.
pub(crate) const HEADSET: &[u8] = &[
    0x05, 0x0B, // Usage Page (Telephony)
    0x09, 0x05, // Usage (Headset)
    0xA1, 0x01, // Collection (Application)
    0x85, 0x02, //   Report ID (2)
    0x15, 0x00, //   Logical Minimum (0)
    0x25, 0x01, //   Logical Maximum (1)
    0x09, 0x20, //   Usage (Hook Switch)
    0x09, 0x2F, //   Usage (Phone Mute)
    0x09, 0x21, //   Usage (Flash)
    0x75, 0x01, //   Report Size (1)
    0x95, 0x03, //   Report Count (3)
    0x81, 0x02, //   Input (Data, Var, Abs)
    0x95, 0x05, //   Report Count (5)
    0x81, 0x01, //   Input (Const): padding
    0x05, 0x08, //   Usage Page (LEDs)
    0x09, 0x18, //   Usage (Ring)
    0x09, 0x17, //   Usage (Off-Hook)
    0x09, 0x09, //   Usage (Mute)
    0x95, 0x03, //   Report Count (3)
    0x91, 0x02, //   Output (Data, Var, Abs)
    0x95, 0x05, //   Report Count (5)
    0x91, 0x01, //   Output (Const): padding
    0xC0, // End Collection
];

fn call(id: &str, state: CallState) -> Event {
    crate::test_support::call_event(id, state, Direction::In, "sip:bob@x", false)
}

fn buttons(off_hook: bool, mute: bool) -> Buttons {
    Buttons {
        off_hook,
        mute,
        flash: false,
    }
}

#[test]
fn the_descriptor_gives_the_buttons_and_lights_places() {
    let l = Layout::from_descriptor(HEADSET).expect("a headset");
    assert_eq!(
        l.hook_switch,
        Some(Field {
            report_id: 2,
            bit: 0
        })
    );
    assert_eq!(
        l.mute,
        Some(Field {
            report_id: 2,
            bit: 1
        })
    );
    assert_eq!(
        l.flash,
        Some(Field {
            report_id: 2,
            bit: 2
        })
    );
    assert_eq!(
        l.led_ring,
        Some(Field {
            report_id: 2,
            bit: 0
        })
    );
    assert_eq!(
        l.led_off_hook,
        Some(Field {
            report_id: 2,
            bit: 1
        })
    );
    assert_eq!(
        l.led_mute,
        Some(Field {
            report_id: 2,
            bit: 2
        })
    );
}

#[test]
fn input_reports_are_read_and_other_reports_ignored() {
    let l = Layout::from_descriptor(HEADSET).expect("a headset");
    assert_eq!(l.read_buttons(&[2, 0b011]), Some(buttons(true, true)));
    assert_eq!(l.read_buttons(&[2, 0b000]), Some(buttons(false, false)));
    assert_eq!(l.read_buttons(&[3, 0b001]), None, "another report id");
    assert_eq!(l.read_buttons(&[2]), None, "too short");
}

#[test]
fn the_lights_become_an_output_report() {
    let l = Layout::from_descriptor(HEADSET).expect("a headset");
    let leds = Leds {
        ring: false,
        off_hook: true,
        mute: true,
    };
    assert_eq!(l.led_report(leds), Some(vec![2, 0b110]));
    assert_eq!(l.led_report(Leds::default()), Some(vec![2, 0]));
}

#[test]
fn a_device_without_a_hook_switch_or_a_cut_descriptor_is_refused() {
    assert_eq!(
        Layout::from_descriptor(&[0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0xC0]),
        Err(DescriptorError::NoHookSwitch)
    );
    assert_eq!(
        Layout::from_descriptor(&HEADSET[..7]),
        Err(DescriptorError::Truncated(6))
    );
}

#[test]
fn off_hook_answers_the_ringing_call_and_on_hook_hangs_up() {
    let mut h = Headset::default();
    assert_eq!(
        h.on_event(&call("c1", CallState::Incoming)),
        Some(Leds {
            ring: true,
            ..Leds::default()
        })
    );
    assert_eq!(
        h.on_buttons(buttons(true, false)),
        vec![Command::Answer { call: None }]
    );
    assert_eq!(
        h.on_buttons(buttons(true, false)),
        vec![],
        "held, not pressed again"
    );
    assert_eq!(
        h.on_event(&call("c1", CallState::Connected)),
        Some(Leds {
            off_hook: true,
            ..Leds::default()
        })
    );
    assert_eq!(
        h.on_buttons(buttons(false, false)),
        vec![Command::Hangup { call: None }]
    );
    assert_eq!(
        h.on_event(&call("c1", CallState::Ended)),
        Some(Leds::default())
    );
}

#[test]
fn the_mute_button_toggles_and_the_mute_light_follows_the_app() {
    let mut h = Headset::default();
    let _ = h.on_event(&call("c1", CallState::Incoming));
    let _ = h.on_buttons(buttons(true, false));
    let _ = h.on_event(&call("c1", CallState::Connected));
    assert_eq!(
        h.on_buttons(buttons(true, true)),
        vec![Command::Mute { on: true }]
    );
    assert_eq!(
        h.on_buttons(buttons(true, false)),
        vec![],
        "the release does nothing"
    );
    let leds = h.on_event(&Event::CallMuted {
        id: "c1".into(),
        on: true,
    });
    assert_eq!(
        leds.map(|l| l.mute),
        Some(true),
        "the light follows the engine, not the press"
    );
    assert_eq!(
        h.on_buttons(buttons(true, true)),
        vec![Command::Mute { on: false }]
    );
    // Muted in the app (its button or the hotkey): the light follows too.
    assert_eq!(
        h.on_event(&Event::CallMuted {
            id: "c1".into(),
            on: false
        })
        .map(|l| l.mute),
        Some(false)
    );
}

#[test]
fn buttons_without_a_call_do_nothing() {
    let mut h = Headset::default();
    assert_eq!(h.on_buttons(buttons(true, true)), vec![]);
    assert_eq!(h.on_buttons(buttons(false, false)), vec![]);
}
