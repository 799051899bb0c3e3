//! The async driver of the [`Core`]: the only place in `core/` that awaits. It reads the clocks, feeds
//! the core its inputs (commands, the SIP task's events, media results, background results, ticks) and
//! carries out its outputs in order. It decides nothing: every "what next" is the core's.
//!
//! Each call's media session lives in a task of its own (a media worker), which takes the core's media
//! requests one after another and reports their results; so ICE gathering for one call never holds up
//! the core, a Hangup, or the SIP task's events. Blocking work (the keychain, the account file, the
//! machine's addresses) runs on blocking threads, the sound devices on the device worker's thread
//! ([`crate::audio::worker`]); network work (HELD, the TURN probe, the network watch) in tasks. Starting
//! the engine ([`spawn_with`]: the audio files, the managed policy) is here too, so the core reads nothing.

mod lease;
mod supervise;
mod watchdog;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{
    persist, Core, Input, MediaDone, MediaRequest, Now, Output, SipRequest, StoreRequest, Work,
};
use crate::api::{Command, ErrorCode, Event};
use crate::audio::line::{AudioLine, AudioSetup};
use crate::calls::{CallId, SipId};
use crate::config::EngineConfig;
use crate::media::{MediaEvent, MediaSession};
use crate::policy::EffectivePolicy;
use crate::sip::{SipCommand, SipEvent, SipHandle};
use crate::store::Store;

/// SIP events buffered before the SIP task waits for the driver.
const SIP_QUEUE: usize = 1024;
const HELD_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the network watch reads the interfaces.
const WATCH_EVERY: Duration = Duration::from_millis(500);
/// A change is acted on once the interfaces read the same twice this far apart: an address change or a
/// handover is several steps (old address gone, new one added, route moved), and acting in the middle
/// would reconnect twice, or bind sockets on a network with no route yet.
const SETTLE: Duration = Duration::from_millis(150);

/// How many commands may wait before a sender has to wait; the UI never sends faster than a person clicks.
pub(super) const COMMAND_QUEUE: usize = 64;
/// Events buffered towards a slow reader before the engine waits for it.
pub(super) const EVENT_QUEUE: usize = 1024;

/// What the shells hold: a way to send commands and the stream of events.
pub struct EngineHandle {
    pub commands: mpsc::Sender<Command>,
    pub events: mpsc::Receiver<Event>,
}

/// How the shell wants the engine run, beyond its configuration.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    pub audio: AudioSetup,
    /// A managed-policy file applied on top of the machine's (the headless binary's `--policy`).
    pub policy_file: Option<PathBuf>,
    /// What was lost opening the store ([`crate::store_recovery::open_or_recover`]): told at start.
    pub store_loss: Option<crate::store_recovery::StoreLoss>,
}

/// Starts the engine on the current tokio runtime, with the system's audio devices.
pub fn spawn(cfg: EngineConfig, store: Store) -> EngineHandle {
    spawn_with(cfg, store, EngineOptions::default())
}

/// Starts the engine on the current tokio runtime, under a supervisor that restarts its core if it panics.
pub fn spawn_with(cfg: EngineConfig, store: Store, opts: EngineOptions) -> EngineHandle {
    let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_QUEUE);
    let (ev_tx, ev_rx) = mpsc::channel(EVENT_QUEUE);
    let wakeup = Arc::new(tokio::sync::Notify::new());
    let policy = crate::policy::load_startup(opts.policy_file.as_deref(), None);
    // With the store in memory the worker would find no outbox on disk: nothing to deliver from.
    let worker = match &opts.store_loss {
        Some(loss) if loss.in_memory() => None,
        _ => start_notify_worker(&policy, &cfg, wakeup.clone()),
    };
    let mut first = Some(opts.store_loss.as_ref().map(|l| l.event()));
    let make = move || {
        let mut core = build(cfg.clone(), &opts, policy.clone());
        // The store's loss is told once; a restarted core says it was restarted instead.
        core.pending.extend(first.take().flatten());
        core
    };
    tokio::spawn(supervise::run(make, store, cmd_rx, ev_tx, wakeup, worker));
    EngineHandle {
        commands: cmd_tx,
        events: ev_rx,
    }
}

/// A core with its audio line and the managed policy read at start (the same after a restart).
fn build(cfg: EngineConfig, opts: &EngineOptions, policy: EffectivePolicy) -> Core {
    let (audio, audio_error) = match AudioLine::start(opts.audio.clone()) {
        Ok(line) => (line, None),
        Err(e) => (
            AudioLine::Silent,
            Some(Event::error(
                ErrorCode::AudioDevice,
                format!("audio is off: {e}"),
                &[("detail", e.to_string())],
            )),
        ),
    };
    let mut core = Core::new(cfg, audio, now());
    core.set_policy(policy);
    core.set_region_hint(os_region());
    core.pending.extend(audio_error);
    core
}

/// The OS's region from its locale (`LC_ALL`, `LC_MESSAGES`, `LANG` on Linux; the user's locale on Windows
/// and macOS).
fn os_region() -> Option<crate::location::country::CountryCode> {
    sys_locale::get_locale().and_then(|tag| crate::location::country::region_of_locale(&tag))
}

/// The clocks, read here only.
pub fn now() -> Now {
    Now {
        mono: Instant::now(),
        utc: OffsetDateTime::now_utc(),
    }
}

/// Delivers queued notifications (and their retries) in the background, when anyone is to be told.
pub(super) fn start_notify_worker(
    policy: &EffectivePolicy,
    cfg: &EngineConfig,
    wakeup: Arc<tokio::sync::Notify>,
) -> Option<JoinHandle<()>> {
    if !policy.policy.notify.has_recipients()
        && policy.policy.audit.url.is_none()
        && policy.policy.presence.webhooks.is_empty()
    {
        return None;
    }
    let needs_secret = policy
        .policy
        .notify
        .smtp
        .as_ref()
        .is_some_and(|s| s.password_ref.is_some());
    let secrets: Arc<dyn crate::notify::SecretSource> =
        match needs_secret.then(crate::secrets::Keychain::open) {
            Some(Ok(k)) => Arc::new(k),
            Some(Err(e)) => {
                tracing::warn!("notify: the SMTP password cannot be read from the keychain: {e}");
                Arc::new(crate::notify::NoSecrets)
            }
            None => Arc::new(crate::notify::NoSecrets),
        };
    let mut config = crate::notify::WorkerConfig::new(policy.policy.notify.clone(), secrets);
    config.audit_url = policy.policy.audit.url.clone();
    Some(crate::notify::spawn_worker(
        config,
        cfg.data_dir.clone(),
        wakeup,
    ))
}

struct MediaWorker {
    requests: mpsc::UnboundedSender<MediaRequest>,
    task: JoinHandle<()>,
}

struct Driver {
    /// Shared with the supervisor, which hands it to the next core if this one panics.
    store: Arc<Mutex<Store>>,
    /// Whether this core may still act (the supervisor may have given up on it and started another).
    lease: lease::Lease,
    events: mpsc::Sender<Event>,
    inputs: mpsc::UnboundedSender<Input>,
    sip_events: mpsc::Sender<(u64, SipEvent)>,
    sip: Option<SipHandle>,
    media: HashMap<CallId, MediaWorker>,
    turn_probe: Option<JoinHandle<()>>,
    network_watch: Option<JoinHandle<()>>,
    /// The sound device worker (started at the first device work); it stops when this is dropped.
    devices: Option<std::sync::mpsc::Sender<crate::audio::worker::DeviceWork>>,
    wakeup: Arc<tokio::sync::Notify>,
    /// Audit entries and the notifier's wake-up wait until the batch's other outputs are carried out.
    audits: Vec<StoreRequest>,
    wake: bool,
}

/// The store, also after a core panicked while holding it (a transaction not committed was rolled back).
fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs the core until `Quit`, until the supervisor drops its ends or until its lease ends. Each turn of
/// the loop, and every [`watchdog::BEAT_EVERY`] when idle, bumps `beat`: the supervisor's watchdog.
pub(super) async fn run(
    mut core: Core,
    store: Arc<Mutex<Store>>,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Event>,
    wakeup: Arc<tokio::sync::Notify>,
    lease: lease::Lease,
    beat: tokio::sync::watch::Sender<u64>,
) {
    let (os_user, fingerprint) = core.acceptance_key();
    let mut restored = {
        let store = lock(&store);
        if !lease.held() {
            return;
        }
        persist::restore(&store, &os_user, &fingerprint)
    };
    restored.account = core.account_dir().and_then(crate::account_file::load);
    restored.device = crate::notify::DeviceInfo::gather();
    let (mut d, mut inputs, mut sip_events) = Driver::new(store, lease, events, wakeup);
    core.handle_input(Input::Start(restored), now());
    let mut open = d.drain(&mut core).await;
    let mut idle = tokio::time::interval(watchdog::BEAT_EVERY);
    idle.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while open {
        beat.send_modify(|b| *b = b.wrapping_add(1));
        let deadline = tokio::time::Instant::from_std(core.poll_timeout());
        let mut quit = false;
        // In order: what the agent asked (a 911 dial never waits behind a flood of incoming calls), the
        // results of the engine's own work, due timers, then the network's news. Each of those is bounded
        // or driven by the agent, so the SIP events still come through.
        let input = tokio::select! {
            biased;
            () = d.lease.ended() => break,
            cmd = commands.recv() => match cmd {
                Some(cmd) => {
                    quit = cmd == Command::Quit;
                    Input::Command(cmd)
                }
                None => break,
            },
            Some(input) = inputs.recv() => input,
            () = tokio::time::sleep_until(deadline) => Input::Tick,
            Some((session, event)) = sip_events.recv() => Input::Sip { session, event },
            _ = idle.tick() => continue,
        };
        core.handle_input(input, now());
        open = d.drain(&mut core).await && !quit;
    }
    if d.lease.held() {
        d.shut_down().await;
        tracing::info!("engine stopped");
    } else {
        // Given up on (a stall): another core has the store and the line; this one's tasks are aborted.
        tracing::warn!("an engine core given up on has stopped");
    }
    core.stop_audio();
}

impl Driver {
    /// A driver with nothing started yet, and the receiving ends of its inputs and of the SIP task's events.
    fn new(
        store: Arc<Mutex<Store>>,
        lease: lease::Lease,
        events: mpsc::Sender<Event>,
        wakeup: Arc<tokio::sync::Notify>,
    ) -> (
        Driver,
        mpsc::UnboundedReceiver<Input>,
        mpsc::Receiver<(u64, SipEvent)>,
    ) {
        let (inputs, inputs_rx) = mpsc::unbounded_channel();
        let (sip_events, sip_rx) = mpsc::channel(SIP_QUEUE);
        let driver = Driver {
            store,
            lease,
            events,
            inputs,
            sip_events,
            sip: None,
            media: HashMap::new(),
            turn_probe: None,
            network_watch: None,
            devices: None,
            wakeup,
            audits: Vec::new(),
            wake: false,
        };
        (driver, inputs_rx, sip_rx)
    }

    /// Carries out the core's outputs in order; `false` once the UI has gone or the lease has ended.
    async fn drain(&mut self, core: &mut Core) -> bool {
        while let Some(out) = core.poll_output() {
            if !self.lease.held() {
                return false;
            }
            match out {
                Output::Event(ev) => {
                    if self.events.send(ev).await.is_err() {
                        return false;
                    }
                }
                Output::Sip(req) => self.sip(req),
                Output::StartSip { session, config } => {
                    if let Some(old) = self.sip.take() {
                        let _ = old.commands.try_send(SipCommand::SignOut);
                    }
                    let sip = crate::sip::spawn(*config, session, self.sip_events.clone());
                    self.lease.hold(&sip.task);
                    self.sip = Some(sip);
                }
                Output::Media { call, request } => self.media(call, request),
                Output::Store(
                    req @ (StoreRequest::Audit(..) | StoreRequest::PresenceChange { .. }),
                ) => self.audits.push(req),
                Output::Store(req) => {
                    let Some(store) = self.store() else {
                        return false;
                    };
                    let stored = persist::carry_out(&store, req);
                    drop(store);
                    if let Some(stored) = stored {
                        core.handle_input(Input::Stored(stored), now());
                    }
                }
                Output::Work(work) => self.work(work),
                Output::WakeNotifier => self.wake = true,
            }
        }
        // After the events (and after any INVITE): the audit log and the presence webhooks' queue never
        // delay the emergency path.
        for req in std::mem::take(&mut self.audits) {
            let Some(store) = self.store() else {
                return false;
            };
            persist::carry_out(&store, req);
        }
        if std::mem::take(&mut self.wake) {
            self.wakeup.notify_one();
        }
        true
    }

    /// The store, while this core holds its lease: checked with the store held, so a core given up on
    /// cannot write after the next one has read it.
    fn store(&self) -> Option<MutexGuard<'_, Store>> {
        let store = lock(&self.store);
        self.lease.held().then_some(store)
    }

    fn sip(&mut self, req: SipRequest) {
        let Some(h) = self.sip.as_ref() else {
            tracing::warn!("a call command with no SIP account signed in");
            if let SipRequest::Invite { call, .. } = req {
                let _ = self.inputs.send(Input::InviteSent {
                    call,
                    result: Err("the SIP connection has stopped.".to_owned()),
                });
            }
            return;
        };
        let cmd = match req {
            SipRequest::Invite { call, outgoing } => {
                let (reply_tx, reply_rx) = tokio::sync::oneshot::channel();
                let cmd = SipCommand::Invite {
                    call: outgoing,
                    reply: reply_tx,
                };
                // Straight into the SIP task's queue when there is room (the emergency path's case);
                // the reply, which names the dialog, comes back as an input.
                let queued = match h.commands.try_send(cmd) {
                    Ok(()) => None,
                    Err(mpsc::error::TrySendError::Full(cmd)) => Some(cmd),
                    Err(mpsc::error::TrySendError::Closed(_)) => {
                        let _ = self.inputs.send(Input::InviteSent {
                            call,
                            result: Err("the SIP connection has stopped.".to_owned()),
                        });
                        return;
                    }
                };
                let commands = h.commands.clone();
                let inputs = self.inputs.clone();
                tokio::spawn(async move {
                    let sent = match queued {
                        Some(cmd) => commands.send(cmd).await.is_ok(),
                        None => true,
                    };
                    let result = match (sent, reply_rx.await) {
                        (true, Ok(Ok(id))) => Ok(SipId(id)),
                        (_, Ok(Err(e))) => Err(e.to_string()),
                        _ => Err("the SIP connection has stopped.".to_owned()),
                    };
                    let _ = inputs.send(Input::InviteSent { call, result });
                });
                return;
            }
            SipRequest::Ring { sip } => SipCommand::Ring { id: sip.0 },
            SipRequest::Answer { sip, sdp } => SipCommand::Answer { id: sip.0, sdp },
            SipRequest::Reject { sip, code } => SipCommand::Reject { id: sip.0, code },
            SipRequest::Hangup { sip } => SipCommand::Hangup { id: sip.0 },
            SipRequest::Reinvite { sip, sdp, wrapped } => SipCommand::Reinvite {
                id: sip.0,
                sdp,
                wrapped,
            },
            SipRequest::Refer {
                sip,
                target,
                replaces,
            } => SipCommand::Refer {
                id: sip.0,
                target,
                replaces: replaces.map(|r| r.0),
            },
            SipRequest::AnswerRefer { sip, code } => SipCommand::AnswerRefer { id: sip.0, code },
            SipRequest::NotifyRefer {
                sip,
                status,
                phrase,
            } => SipCommand::NotifyRefer {
                id: sip.0,
                status,
                phrase,
            },
            SipRequest::NetworkChanged => SipCommand::NetworkChanged,
            SipRequest::Publish(doc) => SipCommand::Publish(doc),
            SipRequest::PublishDialogs(doc) => SipCommand::PublishDialogs(doc),
            SipRequest::ResumePublication(etag) => SipCommand::ResumePublication(etag),
            SipRequest::WatchOwnPresence(id) => SipCommand::WatchOwnPresence(id),
            SipRequest::OverridePresence(ids) => SipCommand::OverridePresence(ids),
            SipRequest::SignOut => SipCommand::SignOut,
        };
        if h.commands.try_send(cmd).is_err() {
            tracing::warn!("the SIP task did not take a call command");
        }
    }

    fn media(&mut self, call: CallId, request: MediaRequest) {
        let close = matches!(request, MediaRequest::Close);
        if !self.media.contains_key(&call) {
            if close {
                return;
            }
            let (tx, rx) = mpsc::unbounded_channel();
            let task = tokio::spawn(media_worker(call, rx, self.inputs.clone()));
            self.lease.hold(&task);
            self.media.insert(call, MediaWorker { requests: tx, task });
        }
        if let Some(w) = self.media.get(&call) {
            let _ = w.requests.send(request);
        }
        if close {
            // The worker closes the session after what it was asked before, then ends.
            self.media.remove(&call);
        }
    }

    fn work(&mut self, work: Work) {
        let inputs = self.inputs.clone();
        match work {
            Work::LookUpPassword { account, required } => {
                tokio::task::spawn_blocking(move || {
                    let key = crate::secrets::sip_account(&account.user, &account.domain);
                    let result = match crate::secrets::Keychain::open()
                        .and_then(|k| k.load(&key))
                        .map_err(|e| e.to_string())
                    {
                        Ok(None) if required => {
                            Err("no password is remembered for this account; enter it".to_owned())
                        }
                        other => other,
                    };
                    let _ = inputs.send(Input::Remembered(account, result));
                });
            }
            Work::SaveAccount {
                data_dir,
                account,
                password,
            } => {
                tokio::task::spawn_blocking(move || {
                    let result =
                        crate::account_file::save(&data_dir, &account).map_err(|e| e.to_string());
                    let _ = inputs.send(Input::AccountSaved {
                        account,
                        password,
                        result,
                    });
                });
            }
            Work::SavePassword { key, secret } => {
                tokio::task::spawn_blocking(move || {
                    let result = crate::secrets::Keychain::open()
                        .and_then(|k| k.save(&key, &secret))
                        .map_err(|e| e.to_string());
                    let _ = inputs.send(Input::Saved(result));
                });
            }
            Work::AskHeld { url, lab } => {
                tokio::spawn(async move {
                    let result = crate::location::held_fetch::fetch(&url, lab, HELD_TIMEOUT)
                        .await
                        .map_err(|e| e.to_string());
                    let _ = inputs.send(Input::Held(result));
                });
            }
            Work::ResolveIce {
                media,
                profile,
                include_loopback,
            } => {
                let tls_ca_file = crate::sip::SipConfig::tls_ca_file_for(&profile);
                tokio::task::spawn_blocking(move || {
                    let keychain = std::cell::OnceCell::new();
                    let lookup = |account: &str| -> Result<Option<String>, String> {
                        match keychain.get_or_init(crate::secrets::Keychain::open) {
                            Ok(k) => crate::policy::keychain_lookup(k)(account)
                                .map_err(|e| e.to_string()),
                            Err(e) => Err(e.to_string()),
                        }
                    };
                    let (mut ice, problems) = crate::policy::ice_settings(&media, &profile, lookup);
                    ice.include_loopback = include_loopback;
                    let tunnel =
                        crate::media::turn_tunnel::TunnelOptions::new(tls_ca_file.as_deref());
                    let problems = problems.iter().map(ToString::to_string).collect();
                    let _ = inputs.send(Input::Ice(ice, problems, tunnel));
                });
            }
            Work::ProbeTurn {
                servers,
                options,
                key,
            } => {
                if let Some(older) = self.turn_probe.take() {
                    older.abort();
                }
                let probe = tokio::spawn(async move {
                    let problems =
                        crate::media::turn_probe::probe_ice_servers(&servers, &options, key).await;
                    let _ = inputs.send(Input::TurnProbed(servers, problems));
                });
                self.lease.hold(&probe);
                self.turn_probe = Some(probe);
            }
            Work::Devices(work) => {
                if self.devices.is_none() {
                    let report = move |r| {
                        let _ = inputs.send(Input::Devices(r));
                    };
                    match crate::audio::worker::spawn(report) {
                        Ok(tx) => self.devices = Some(tx),
                        Err(e) => tracing::error!("the sound device worker could not start: {e}"),
                    }
                }
                if let Some(tx) = &self.devices {
                    let _ = tx.send(work);
                }
            }
            Work::StartRingers(job) => {
                tokio::task::spawn_blocking(move || {
                    let (ringers, events) = job.start();
                    let _ = inputs.send(Input::RingersStarted(ringers, events));
                });
            }
            Work::LookAtNetwork => {
                tokio::task::spawn_blocking(move || {
                    let _ = inputs.send(Input::NetworkSeen(crate::notify::DeviceInfo::gather()));
                });
            }
            Work::WatchNetwork => {
                if self.network_watch.is_none() {
                    let watch = spawn_watch(inputs);
                    self.lease.hold(&watch);
                    self.network_watch = Some(watch);
                }
            }
        }
    }

    /// On quit: unregister (bounded wait) so the server does not keep ringing a gone client, and close
    /// the calls' media.
    async fn shut_down(&mut self) {
        if let Some(h) = self.sip.take() {
            let _ = h.commands.send(SipCommand::SignOut).await;
            let _ = tokio::time::timeout(Duration::from_secs(2), h.task).await;
        }
        for (_, w) in self.media.drain() {
            let _ = w.requests.send(MediaRequest::Close);
            let _ = tokio::time::timeout(Duration::from_secs(2), w.task).await;
        }
        if let Some(t) = self.turn_probe.take() {
            t.abort();
        }
        if let Some(t) = self.network_watch.take() {
            t.abort();
        }
    }
}

/// One call's media session: its requests in order, its events (with the path they travel) as inputs.
async fn media_worker(
    call: CallId,
    mut requests: mpsc::UnboundedReceiver<MediaRequest>,
    inputs: mpsc::UnboundedSender<Input>,
) {
    let mut session: Option<MediaSession> = None;
    let mut events: Option<mpsc::UnboundedReceiver<MediaEvent>> = None;
    loop {
        tokio::select! {
            req = requests.recv() => {
                let Some(req) = req else { break };
                if matches!(req, MediaRequest::Close) {
                    break;
                }
                if let Some(done) = serve(req, &mut session, &mut events).await {
                    if inputs.send(Input::MediaDone { call, done }).is_err() {
                        break;
                    }
                }
            }
            ev = next_event(&mut events) => {
                let Some(event) = ev else {
                    events = None;
                    continue;
                };
                if event == MediaEvent::Closed {
                    events = None;
                }
                let path = match (&event, session.as_mut()) {
                    (
                        MediaEvent::Connected { .. }
                        | MediaEvent::FirstPacket { .. }
                        | MediaEvent::NoAudio { .. }
                        | MediaEvent::AudioResumed,
                        Some(s),
                    ) => s.path().await,
                    _ => None,
                };
                let _ = inputs.send(Input::Media { call, event, path });
            }
        }
    }
    if let Some(mut s) = session {
        s.close().await;
    }
}

async fn next_event(rx: &mut Option<mpsc::UnboundedReceiver<MediaEvent>>) -> Option<MediaEvent> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Carries out one media request (never `Close`, which ends the worker).
async fn serve(
    req: MediaRequest,
    session: &mut Option<MediaSession>,
    events: &mut Option<mpsc::UnboundedReceiver<MediaEvent>>,
) -> Option<MediaDone> {
    let gone = || crate::media::MediaError::Closed.to_string();
    let text = |e: crate::media::MediaError| e.to_string();
    match req {
        MediaRequest::Offer { config, port } => {
            let made = match MediaSession::new(*config, port).await {
                Ok((mut s, rx)) => {
                    let offer = s.create_offer().await.map_err(text);
                    *events = Some(rx);
                    *session = Some(s);
                    offer
                }
                Err(e) => Err(e.to_string()),
            };
            Some(MediaDone::Offer(made))
        }
        MediaRequest::Answer {
            config,
            port,
            offer,
        } => {
            let made = match MediaSession::new(*config, port).await {
                Ok((mut s, rx)) => {
                    let answer = s.accept_offer(&offer).await.map_err(text);
                    *events = Some(rx);
                    *session = Some(s);
                    answer
                }
                Err(e) => Err(e.to_string()),
            };
            Some(MediaDone::Answer(made))
        }
        MediaRequest::SetRemoteAnswer { sdp, restart } => {
            let result = match session.as_mut() {
                Some(s) => s.set_remote_answer(&sdp).await.map_err(text),
                None => Err(gone()),
            };
            Some(MediaDone::RemoteApplied { restart, result })
        }
        MediaRequest::AnswerReoffer(sdp) => Some(MediaDone::Reanswer(match session.as_mut() {
            Some(s) => s.answer_reoffer(&sdp).await.map_err(text),
            None => Err(gone()),
        })),
        MediaRequest::HoldOffer(on) => Some(MediaDone::HoldOffer {
            on,
            result: match session.as_mut() {
                Some(s) => s.hold_offer(on).await.map_err(text),
                None => Err("The call has no media to hold.".to_owned()),
            },
        }),
        MediaRequest::Hold(on) => {
            if let Some(s) = session.as_mut() {
                let _ = s.hold(on);
            }
            None
        }
        // The same description with a new version: `hold_offer` with the hold state the call is in.
        MediaRequest::Reoffer { held } => Some(MediaDone::Reoffer(match session.as_mut() {
            Some(s) => s.hold_offer(held).await.map_err(text),
            None => Err(gone()),
        })),
        MediaRequest::RestartOffer => Some(MediaDone::RestartOffer(match session.as_mut() {
            Some(s) => s.restart_offer().await.map_err(text),
            None => Err(gone()),
        })),
        MediaRequest::Mute(on) => match session.as_mut().map(|s| s.mute(on)) {
            Some(Err(e)) => Some(MediaDone::Failed(e.to_string())),
            _ => None,
        },
        MediaRequest::Dtmf(digits) => match session.as_mut().map(|s| s.send_dtmf(&digits)) {
            Some(Ok(())) => None,
            Some(Err(e)) => Some(MediaDone::Failed(e.to_string())),
            None => Some(MediaDone::Failed(
                "Digits can only be sent during a call.".to_owned(),
            )),
        },
        MediaRequest::Close => None,
    }
}

/// Watches the interfaces until the engine is gone.
fn spawn_watch(tx: mpsc::UnboundedSender<Input>) -> JoinHandle<()> {
    use super::network_flow::network_fingerprint;
    use crate::media::host_addrs::interfaces;
    tokio::spawn(async move {
        let mut last = network_fingerprint(&interfaces());
        let mut every = tokio::time::interval(WATCH_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let mut now = network_fingerprint(&interfaces());
            if now == last {
                continue;
            }
            for _ in 0..20 {
                tokio::time::sleep(SETTLE).await;
                let again = network_fingerprint(&interfaces());
                if again == now {
                    break;
                }
                now = again;
            }
            last = now;
            if tx.send(Input::NetworkChanged).is_err() {
                return;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::turn_tunnel::coturn_tests::coturn_listening;
    use crate::media::turn_tunnel::tunnel_tests::lab_cert;
    use crate::media::turn_tunnel::TunnelOptions;

    /// A core the supervisor gave up on and that wakes later: the store write, the event and the SIP
    /// work it had next are not carried out.
    #[tokio::test]
    async fn a_core_whose_lease_has_ended_writes_and_says_nothing() {
        use crate::api::{EmergencyMode, Presence};
        let store = Arc::new(Mutex::new(Store::in_memory().expect("store")));
        let leases = lease::Leases::new();
        let (events, mut said) = mpsc::channel(8);
        let (mut d, _inputs, _sip) = Driver::new(
            store.clone(),
            leases.grant(),
            events,
            Arc::new(tokio::sync::Notify::new()),
        );
        let snapshot = crate::emergency::GuardSnapshot {
            mode: EmergencyMode::Lock,
            prior_presence: Some(Presence::Available),
            lock_secs: 1800,
            elapsed_ms: 0,
            observed_at: Some(OffsetDateTime::now_utc()),
            lock_over: false,
        };
        let mut core = Core::with_policy(serde_json::json!({}));
        core.push(Output::Event(Event::error(
            ErrorCode::NotAvailable,
            "x",
            &[],
        )));
        core.push(Output::Store(StoreRequest::PersistGuard(snapshot.clone())));
        assert!(
            d.drain(&mut core).await,
            "while the lease holds, the outputs are carried out"
        );
        assert!(said.try_recv().is_ok());
        assert_eq!(
            lock(&store).load_guard().expect("load"),
            Some(snapshot.clone())
        );

        let next_core = crate::emergency::GuardSnapshot {
            lock_secs: 900,
            ..snapshot.clone()
        };
        lock(&store)
            .save_guard(&next_core)
            .expect("the next core's write");
        leases.end();
        core.push(Output::Event(Event::error(
            ErrorCode::NotAvailable,
            "x",
            &[],
        )));
        core.push(Output::Store(StoreRequest::PersistGuard(snapshot.clone())));
        assert!(!d.drain(&mut core).await, "the core stops");
        assert!(said.try_recv().is_err(), "nothing said");
        assert_eq!(
            lock(&store).load_guard().expect("load"),
            Some(next_core),
            "the next core's state is not overwritten"
        );
    }

    #[tokio::test]
    async fn after_sign_in_a_wrong_turn_password_is_named_and_nothing_waited_for_the_probe() {
        let cert = lab_cert();
        let Some(server) = coturn_listening(&cert, true) else {
            return;
        };
        let url = format!("turn:127.0.0.1:{}?transport=udp", server.tcp_port);
        let mut core = Core::with_policy(serde_json::json!({"media": {"ice_servers": [
            {"urls": ["stun:127.0.0.1:9"]},
            {"urls": url, "username": "u", "credential": "wrong"}
        ]}}));
        let (ice, problems) =
            crate::policy::ice_settings(&core.policy.policy.media, &core.cfg, |_: &str| {
                Ok::<Option<String>, String>(None)
            });
        let problems = problems.iter().map(ToString::to_string).collect();
        core.handle_input(Input::Ice(ice, problems, TunnelOptions::new(None)), now());
        let mut probe = None;
        while let Some(out) = core.poll_output() {
            match out {
                Output::Event(ev) => panic!("sign-in itself reports nothing: {ev:?}"),
                Output::Work(Work::ProbeTurn {
                    servers,
                    options,
                    key,
                }) => probe = Some((servers, options, key)),
                _ => {}
            }
        }
        let (servers, options, key) = probe.expect("a TURN probe is asked for");
        let problems = tokio::time::timeout(
            Duration::from_secs(15),
            crate::media::turn_probe::probe_ice_servers(&servers, &options, key),
        )
        .await
        .expect("the probe answers within its budget");
        let found = |core: &mut Core| {
            std::iter::from_fn(|| core.poll_output())
                .filter_map(|o| match o {
                    Output::Event(ev) => Some(ev),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        core.handle_input(Input::TurnProbed(servers.clone(), problems.clone()), now());
        assert_eq!(
            found(&mut core),
            vec![Event::error(
                crate::api::ErrorCode::AudioSettings,
                format!(
                    "Call audio settings: TURN server {url} refused the credentials (user \"u\"); check \
                     media.ice_servers; calls use the other paths."
                ),
                &[
                    (
                        "detail",
                        format!(
                            "TURN server {url} refused the credentials (user \"u\"); check media.ice_servers"
                        )
                    ),
                    // What the UI says in the agent's language (the user name is not sent).
                    ("problem", "turn_credentials_refused".to_owned()),
                    ("url", url.clone()),
                    ("key", "media.ice_servers".to_owned()),
                ]
            )]
        );
        core.handle_input(Input::TurnProbed(servers, problems), now());
        assert_eq!(found(&mut core), vec![], "each problem is shown once");
    }
}
