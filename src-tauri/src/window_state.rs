//! The window's size and place, kept across restarts by tauri-plugin-window-state. The plugin saves when the
//! app exits normally; an agent's session often ends otherwise (logout sends SIGTERM, a crash, a kill), so the
//! shell also saves shortly after the agent stops moving or resizing the window.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tauri::{Manager, Runtime, Window, WindowEvent};
use tauri_plugin_window_state::{AppHandleExt as _, StateFlags};

/// What is kept: not visibility or decorations, which the app decides itself.
pub const FLAGS: StateFlags = StateFlags::SIZE
    .union(StateFlags::POSITION)
    .union(StateFlags::MAXIMIZED);

/// How long the window must stay still before it is saved (a drag sends dozens of events a second).
const QUIET: Duration = Duration::from_millis(400);

pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_window_state::Builder::new()
        .with_state_flags(FLAGS)
        .build()
}

#[derive(Clone, Default)]
pub struct SaveWhenStill {
    generation: Arc<AtomicU64>,
}

impl SaveWhenStill {
    pub fn on_window_event<R: Runtime>(&self, window: &Window<R>, event: &WindowEvent) {
        if !matches!(event, WindowEvent::Resized(_) | WindowEvent::Moved(_)) {
            return;
        }
        let mine = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let generation = self.generation.clone();
        let app = window.app_handle().clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(QUIET).await;
            // A later move or resize owns the save.
            if generation.load(Ordering::SeqCst) != mine {
                return;
            }
            if let Err(e) = app.save_window_state(FLAGS) {
                log::warn!("could not save the window's size and place: {e}");
            }
        });
    }
}
