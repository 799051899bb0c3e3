//! The engine's supervisor: it owns the shell's ends of the command and event channels and the store, and
//! runs the [`driver`](super) in a task of its own. If that task panics, the supervisor notices
//! at once (the task's `JoinError`), starts a new core on the same store — the emergency guard's state is
//! read back from it, so a callback lock is intact — signs in again with the account last signed in, and
//! the new core tells the agent to use another phone ([`Core::restarted_after`]).
//!
//! The shell's channels outlive every core: a panic never closes them, so neither the window nor the
//! headless binary has to reconnect. A core that panics again and again is restarted each time, at most
//! [`MAX_RESTARTS`] times a minute; past that the supervisor stops and the shell sees the engine gone.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{COMMAND_QUEUE, EVENT_QUEUE};
use crate::api::Command;
use crate::api::Event;
use crate::core::Core;
use crate::store::Store;

/// Restarts allowed within [`RESTART_WINDOW`]: a core that panics at start would otherwise spin.
pub const MAX_RESTARTS: usize = 5;
const RESTART_WINDOW: Duration = Duration::from_secs(60);

/// Runs cores made by `make` until `Quit` or until the shell drops its ends.
pub(super) async fn run(
    mut make: impl FnMut() -> Core + Send + 'static,
    store: Store,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Event>,
    wakeup: Arc<tokio::sync::Notify>,
    _notify_worker: Option<JoinHandle<()>>,
) {
    let store = Arc::new(Mutex::new(store));
    let mut sign_in: Option<Command> = None;
    let mut restarts: Vec<Instant> = Vec::new();
    let mut core = make();
    loop {
        let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_QUEUE);
        let (ev_tx, mut ev_rx) = mpsc::channel(EVENT_QUEUE);
        let mut task = tokio::spawn(super::run(
            core,
            store.clone(),
            cmd_rx,
            ev_tx,
            wakeup.clone(),
        ));
        match &sign_in {
            // After a restart: the line the agent had, so the dispatcher's callback reaches this core.
            Some(again) if !restarts.is_empty() => {
                let _ = cmd_tx.send(again.clone()).await;
            }
            _ => {}
        }
        let ended = loop {
            tokio::select! {
                biased;
                ended = &mut task => break ended,
                Some(ev) = ev_rx.recv() => {
                    if events.send(ev).await.is_err() {
                        task.abort();
                        return;
                    }
                }
                cmd = commands.recv() => {
                    let Some(cmd) = cmd else {
                        // The shell has closed its end (stdin at EOF): the driver stops when its command
                        // channel closes, after the commands already handed over. What it says until then
                        // still reaches the shell (the event channel closes when the driver ends).
                        drop(cmd_tx);
                        while let Some(ev) = ev_rx.recv().await {
                            if events.send(ev).await.is_err() {
                                break;
                            }
                        }
                        let _ = task.await;
                        return;
                    };
                    remember_sign_in(&mut sign_in, &cmd);
                    if cmd_tx.send(cmd).await.is_err() {
                        tracing::warn!("the engine did not take a command");
                    }
                }
            }
        };
        // What the core said before it stopped still reaches the shell, in order.
        while let Ok(ev) = ev_rx.try_recv() {
            if events.send(ev).await.is_err() {
                return;
            }
        }
        let detail = match ended {
            Ok(()) => return,
            Err(e) if e.is_panic() => panic_text(e.into_panic()),
            Err(_) => return,
        };
        tracing::error!("the engine stopped unexpectedly ({detail}); restarting it");
        let at = Instant::now();
        restarts.retain(|t| at.duration_since(*t) < RESTART_WINDOW);
        if restarts.len() >= MAX_RESTARTS {
            tracing::error!(
                "the engine stopped {MAX_RESTARTS} times in a minute; not restarting it"
            );
            return;
        }
        restarts.push(at);
        core = make();
        core.restarted_after(detail);
    }
}

/// The last sign-in is signed in again after a restart (the core's own memory of it is gone); a sign-out
/// forgets it. The keychain already holds a remembered password: the replay does not save it again.
fn remember_sign_in(sign_in: &mut Option<Command>, cmd: &Command) {
    match cmd {
        Command::SignIn {
            server,
            domain,
            user,
            password,
            ..
        } => {
            *sign_in = Some(Command::SignIn {
                server: server.clone(),
                domain: domain.clone(),
                user: user.clone(),
                password: password.clone(),
                remember: false,
            })
        }
        Command::SignOut => *sign_in = None,
        _ => {}
    }
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{EmergencyMode, ErrorCode, Presence};
    use crate::audio::line::AudioSetup;
    use crate::config::EngineConfig;
    use crate::emergency::GuardSnapshot;

    async fn next(
        events: &mut mpsc::Receiver<Event>,
        what: &str,
        pred: impl Fn(&Event) -> bool,
    ) -> Event {
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(10), events.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what} within 10 s"))
                .unwrap_or_else(|| panic!("the engine's events ended before {what}"));
            if pred(&ev) {
                return ev;
            }
        }
    }

    fn locked_store() -> Store {
        let store = Store::in_memory().expect("store");
        store
            .save_guard(&GuardSnapshot {
                mode: EmergencyMode::Lock,
                prior_presence: Some(Presence::Available),
                lock_secs: 1800,
                elapsed_ms: 60_000,
                observed_at: Some(time::OffsetDateTime::now_utc()),
                lock_over: false,
            })
            .expect("save");
        store
    }

    fn is_lock(ev: &Event) -> bool {
        matches!(
            ev,
            Event::Emergency {
                mode: EmergencyMode::Lock,
                ..
            }
        )
    }

    #[tokio::test]
    async fn a_core_that_panics_is_restarted_on_the_same_store_with_the_lock_and_says_use_another_phone(
    ) {
        let cfg = EngineConfig {
            lab: true,
            locale: Some("en".into()),
            ..EngineConfig::default()
        };
        let opts = crate::core::EngineOptions {
            audio: AudioSetup::Silent,
            ..Default::default()
        };
        let mut h = crate::core::spawn_with(cfg, locked_store(), opts);
        next(&mut h.events, "the lock at start", is_lock).await;
        h.commands.send(Command::LabPanic).await.expect("send");
        let failed = next(&mut h.events, "use another phone", |e| {
            matches!(e, Event::EmergencyCallFailed { .. })
        })
        .await;
        let Event::EmergencyCallFailed { message, .. } = failed else {
            unreachable!()
        };
        assert!(message.contains("use another phone"), "{message}");
        assert!(message.contains("lock is still on"), "{message}");
        next(&mut h.events, "the engine_restarted error", |e| {
            matches!(
                e,
                Event::Error {
                    code: Some(ErrorCode::EngineRestarted),
                    ..
                }
            )
        })
        .await;
        // The same channels answer commands again, and the new core holds the lock from the store.
        h.commands.send(Command::Snapshot).await.expect("send");
        next(&mut h.events, "the lock after the restart", is_lock).await;
        h.commands.send(Command::Quit).await.expect("send");
    }

    #[test]
    fn only_the_last_sign_in_is_replayed_and_never_saves_the_password_again() {
        let mut kept = None;
        let sign_in = |remember| Command::SignIn {
            server: "wss://example.invalid".into(),
            domain: "d".into(),
            user: "u".into(),
            password: "p".into(),
            remember,
        };
        remember_sign_in(&mut kept, &sign_in(true));
        assert_eq!(kept, Some(sign_in(false)));
        remember_sign_in(&mut kept, &Command::Snapshot);
        assert_eq!(kept, Some(sign_in(false)));
        remember_sign_in(&mut kept, &Command::SignOut);
        assert_eq!(kept, None);
    }
}
