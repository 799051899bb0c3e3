//! Engine events the shell's unit tests feed their state machines.

use lifeline_engine::api::{CallState, Direction, Event};

/// A call event as the engine sends it, without an end code.
pub fn call_event(
    id: &str,
    state: CallState,
    direction: Direction,
    remote: &str,
    callback: bool,
) -> Event {
    Event::Call {
        id: id.into(),
        state,
        direction,
        remote: remote.into(),
        emergency: false,
        emergency_callback: callback,
        reason: None,
        code: None,
        status: None,
        transferred_from: None,
        auto_answered: None,
    }
}
