//! The engine's supervisor: it owns the shell's ends of the command and event channels and the store, and
//! runs the [`driver`](super) of one core at a time on a thread of its own. If that core panics, the
//! supervisor notices at once; if it stops answering without panicking (an endless loop, a call that
//! never returns), the [`watchdog`] notices within
//! [`STALL_AFTER`](watchdog::STALL_AFTER). Either way it starts a new core on
//! the same store — the emergency guard's state is read back from it, so a callback lock is intact —
//! signs in again with the account last signed in, and the new core tells the agent to use another phone
//! ([`Core::restarted_after`]).
//!
//! Each core runs on its own OS thread (driving its futures on the shared runtime, where the tasks it
//! starts run), so a core stuck in synchronous code holds no runtime worker and never stops the
//! supervisor. A stuck thread cannot be killed: it is abandoned, and its [`Lease`] ends first so that
//! if it ever wakes it writes nothing and sends nothing ([`lease`](super::lease)).
//!
//! The shell's channels outlive every core: a restart never closes them, so neither the window nor the
//! headless binary has to reconnect. A core that fails again and again is restarted each time, at most
//! [`MAX_RESTARTS`] times a minute; past that the supervisor stops and the shell sees the engine gone.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::lease::{Lease, Leases};
use super::watchdog::{self, Verdict, Watchdog};
use super::{COMMAND_QUEUE, EVENT_QUEUE};
use crate::api::Command;
use crate::api::Event;
use crate::core::{Core, Restart};
use crate::store::Store;

/// Restarts allowed within [`RESTART_WINDOW`]: a core that fails at start would otherwise spin.
pub const MAX_RESTARTS: usize = 5;
const RESTART_WINDOW: Duration = Duration::from_secs(60);

/// How a core's thread ended: normally, or with a panic's payload.
type Ended = std::thread::Result<()>;

/// Why the supervisor stopped watching a core.
enum Stop {
    Ended(Ended),
    Stalled(Duration),
}

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
    let leases = Leases::new();
    let mut sign_in: Option<Command> = None;
    let mut restarts: Vec<Instant> = Vec::new();
    let mut core = make();
    // The shell has closed its end (stdin at EOF): no new commands, the core stops after those taken.
    let mut closing = false;
    loop {
        let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_QUEUE);
        let mut cmd_tx = Some(cmd_tx);
        let (ev_tx, mut ev_rx) = mpsc::channel(EVENT_QUEUE);
        let (beat_tx, beat) = watch::channel(0u64);
        let lease = leases.grant();
        let mut ended = match start(
            core,
            store.clone(),
            cmd_rx,
            ev_tx,
            wakeup.clone(),
            lease,
            beat_tx,
        ) {
            Ok(ended) => ended,
            Err(e) => {
                tracing::error!("the engine's thread could not start: {e}");
                return;
            }
        };
        // Commands wait here, never in the supervisor's own await: a stuck core must not stop the watch.
        let mut queued: VecDeque<Command> = VecDeque::new();
        if let Some(again) = sign_in.clone().filter(|_| !restarts.is_empty()) {
            // After a restart: the line the agent had, so the dispatcher's callback reaches this core.
            queued.push_back(again);
        }
        let mut dog = Watchdog::new(*beat.borrow(), Instant::now());
        let mut look = tokio::time::interval(watchdog::CHECK_EVERY);
        look.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let stop = loop {
            if closing && queued.is_empty() {
                // The driver stops when its command channel closes, after the commands handed over.
                cmd_tx = None;
            }
            tokio::select! {
                biased;
                done = &mut ended => break Stop::Ended(done.unwrap_or_else(|_| Err(silent_end()))),
                // Before the events: a core that talks a lot never keeps the watchdog from looking.
                _ = look.tick() => {
                    if let Verdict::Stalled { silent } = dog.observe(*beat.borrow(), Instant::now()) {
                        break Stop::Stalled(silent);
                    }
                }
                Some(ev) = ev_rx.recv() => {
                    if events.send(ev).await.is_err() {
                        leases.end();
                        return;
                    }
                }
                permit = reserve(&cmd_tx), if !queued.is_empty() => {
                    if let (Ok(permit), Some(cmd)) = (permit, queued.pop_front()) {
                        permit.send(cmd);
                    } else {
                        tracing::warn!("the engine did not take a command");
                    }
                }
                cmd = commands.recv(), if !closing && queued.len() < COMMAND_QUEUE => match cmd {
                    Some(cmd) => {
                        remember_sign_in(&mut sign_in, &cmd);
                        queued.push_back(cmd);
                    }
                    // What the driver says until it stops still reaches the shell (its event channel
                    // closes when it ends).
                    None => closing = true,
                },
            }
        };
        // What the core said before it stopped still reaches the shell, in order.
        while let Ok(ev) = ev_rx.try_recv() {
            if events.send(ev).await.is_err() {
                break;
            }
        }
        // Before any new core: the old one, if it ever runs again, may no longer act.
        leases.end();
        let why = match stop {
            Stop::Ended(Ok(())) => return,
            Stop::Ended(Err(payload)) => Restart::Panicked(panic_text(payload)),
            Stop::Stalled(silent) => Restart::Stalled(silent),
        };
        if closing {
            return;
        }
        tracing::error!("the engine stopped unexpectedly ({why}); restarting it");
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
        core.restarted_after(why);
    }
}

/// Runs a core's driver on a thread of its own; the receiver says how it ended.
fn start(
    core: Core,
    store: Arc<Mutex<Store>>,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Event>,
    wakeup: Arc<tokio::sync::Notify>,
    lease: Lease,
    beat: watch::Sender<u64>,
) -> std::io::Result<oneshot::Receiver<Ended>> {
    let runtime = tokio::runtime::Handle::current();
    let (done_tx, done_rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("lifeline-core".to_owned())
        .spawn(move || {
            // A panic's unwinding drops the driver (its channels, its SIP handle) as a task's would.
            let ended = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                runtime.block_on(super::run(
                    core, store, commands, events, wakeup, lease, beat,
                ))
            }));
            let _ = done_tx.send(ended);
        })?;
    Ok(done_rx)
}

/// The core's thread went without saying how (it always says; this is the type's other case).
fn silent_end() -> Box<dyn Any + Send> {
    Box::new("the engine's thread ended without a word")
}

async fn reserve(
    tx: &Option<mpsc::Sender<Command>>,
) -> Result<mpsc::Permit<'_, Command>, mpsc::error::SendError<()>> {
    match tx {
        Some(tx) => tx.reserve().await,
        None => std::future::pending().await,
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

fn panic_text(payload: Box<dyn Any + Send>) -> String {
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
        // What went by, for the failure's message (a loaded machine reorders nothing, but may add).
        let mut seen: Vec<String> = Vec::new();
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(10), events.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what} within 10 s; seen: {seen:#?}"))
                .unwrap_or_else(|| {
                    panic!("the engine's events ended before {what}; seen: {seen:#?}")
                });
            if pred(&ev) {
                return ev;
            }
            seen.push(format!("{ev:?}"));
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

    /// An engine in lab mode, silent, on a store holding a callback lock.
    fn lab_engine() -> crate::core::EngineHandle {
        let cfg = EngineConfig {
            lab: true,
            locale: Some("en".into()),
            ..EngineConfig::default()
        };
        let opts = crate::core::EngineOptions {
            audio: AudioSetup::Silent,
            ..Default::default()
        };
        crate::core::spawn_with(cfg, locked_store(), opts)
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

    fn is_restarted(ev: &Event) -> bool {
        matches!(
            ev,
            Event::Error {
                code: Some(ErrorCode::EngineRestarted),
                ..
            }
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_core_that_panics_is_restarted_on_the_same_store_with_the_lock_and_says_use_another_phone(
    ) {
        let mut h = lab_engine();
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
        next(&mut h.events, "the engine_restarted error", is_restarted).await;
        // The same channels answer commands again, and the new core holds the lock from the store.
        h.commands.send(Command::Snapshot).await.expect("send");
        next(&mut h.events, "the lock after the restart", is_lock).await;
        h.commands.send(Command::Quit).await.expect("send");
    }

    /// A core stuck in synchronous code for 3 s: told within the watchdog's limit, a new core answers
    /// with the lock from the store, and when the old one wakes it says and writes nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_core_that_stops_answering_is_replaced_and_the_old_one_stays_silent_when_it_wakes() {
        let mut h = lab_engine();
        next(&mut h.events, "the lock at start", is_lock).await;
        // The core stays stuck for 8 s: long enough for the watchdog to act first on a loaded test
        // machine (it acts after about 1.5 s; the figure is printed, not asserted).
        const HANG: Duration = Duration::from_secs(8);
        let hang = Instant::now();
        h.commands
            .send(Command::LabHang {
                secs: Some(HANG.as_secs()),
            })
            .await
            .expect("send");
        let failed = next(&mut h.events, "use another phone", |e| {
            matches!(e, Event::EmergencyCallFailed { .. })
        })
        .await;
        let told = hang.elapsed();
        let Event::EmergencyCallFailed { message, code, .. } = failed else {
            unreachable!()
        };
        assert_eq!(code, Some(crate::api::EmergencyFailedCode::StalledLocked));
        assert!(message.contains("stopped responding"), "{message}");
        assert!(message.contains("lock is still on"), "{message}");
        assert!(told < HANG, "told after {told:?}, not before the core woke");
        let restarted = next(&mut h.events, "the engine_restarted error", is_restarted).await;
        let Event::Error { params, .. } = restarted else {
            unreachable!()
        };
        assert!(
            params
                .get("detail")
                .is_some_and(|d| d.starts_with("stalled")),
            "{params:?}"
        );
        // Past the old core's wake-up: only the new core speaks, once per command.
        tokio::time::sleep(HANG.saturating_sub(hang.elapsed()) + Duration::from_millis(500)).await;
        while let Ok(ev) = h.events.try_recv() {
            assert!(
                !matches!(ev, Event::AppInfo { .. }),
                "a second snapshot: {ev:?}"
            );
        }
        h.commands.send(Command::Snapshot).await.expect("send");
        next(&mut h.events, "the lock after the restart", is_lock).await;
        h.commands.send(Command::Quit).await.expect("send");
        println!(
            "lab_hang -> use another phone after {} ms",
            told.as_millis()
        );
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
