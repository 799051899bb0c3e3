//! The engine's owner task: it alone holds the softphone's state, takes [`Command`]s from one queue and
//! sends [`Event`]s to one queue. The shells (desktop app, headless binary) only forward.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::sync::mpsc;

use std::path::PathBuf;
use std::sync::Arc;

use crate::agreement::Agreement;
use crate::api::{Command, Event, Presence, RegistrationState};
use crate::audio::line::{AudioLine, AudioSetup};
use crate::calls::CallTable;
use crate::config::EngineConfig;
use crate::emergency::guard::{Guard, GuardInput};
use crate::location::held::HeldLocation;
use crate::media::MediaEvent;
use crate::policy::EffectivePolicy;
use crate::sip::{SipCommand, SipConfig, SipEvent, SipHandle};
use crate::store::{Acceptance, Store, StoreError};

mod account_flow;
mod call_flow;
mod emergency_flow;
mod history_flow;
mod location_flow;
mod network_flow;

/// Results of background work (never on the emergency path) coming back to the owner task.
pub(crate) enum Aux {
    Held(Result<HeldLocation, String>),
    /// The keychain's answer for a remembered account (its password, if stored).
    Remembered(
        account_flow::RememberedAccount,
        Result<Option<String>, String>,
    ),
    /// The password was (or could not be) stored in the keychain.
    Saved(Result<(), String>),
    /// A call's sound devices are open (tagged with the call's audio generation).
    DevicesOpened(crate::audio::line::OpenedDevices, u64),
    /// The ring tone plays on these devices (or could not, as the events say).
    RingersStarted(
        Vec<crate::audio::devices::Ringer>,
        Vec<crate::audio::AudioEvent>,
    ),
    /// The machine's usable network interfaces changed.
    NetworkChanged,
    /// ICE settings with the keychain's TURN passwords, and what was wrong with them; TLS trust for TURN.
    Ice(
        crate::media::ice::IceSettings,
        Vec<String>,
        crate::media::turn_tunnel::TunnelOptions,
    ),
    /// What the TURN probe found wrong with these servers (see `network_flow::Engine::start_turn_probe`).
    TurnProbed(
        Vec<crate::media::ice::IceServer>,
        Vec<crate::media::turn_probe::TurnProbeError>,
    ),
}

/// How many commands may wait before a sender has to wait; the UI never sends faster than a person clicks.
const COMMAND_QUEUE: usize = 64;
/// Events buffered towards a slow reader before the engine waits for it.
const EVENT_QUEUE: usize = 1024;

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
}

/// Starts the engine on the current tokio runtime, with the system's audio devices.
pub fn spawn(cfg: EngineConfig, store: Store) -> EngineHandle {
    spawn_with(cfg, store, EngineOptions::default())
}

/// Starts the engine on the current tokio runtime.
pub fn spawn_with(cfg: EngineConfig, store: Store, opts: EngineOptions) -> EngineHandle {
    let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_QUEUE);
    let (ev_tx, ev_rx) = mpsc::channel(EVENT_QUEUE);
    let (audio, audio_error) = match AudioLine::start(opts.audio) {
        Ok(line) => (line, None),
        Err(e) => (
            AudioLine::Silent,
            Some(Event::Error {
                message: format!("audio is off: {e}"),
            }),
        ),
    };
    let policy = crate::policy::load_startup(opts.policy_file.as_deref(), None);
    let (mut engine, inboxes) = Engine::new(cfg, store, audio);
    engine.set_policy(policy);
    engine.pending.extend(audio_error);
    engine.start_notify_worker();
    tokio::spawn(run(engine, inboxes, cmd_rx, ev_tx));
    EngineHandle {
        commands: cmd_tx,
        events: ev_rx,
    }
}

/// Log target of the dial timeline, at debug level: with `LIFELINE_LOG=info,lifeline::timing=debug` the log's
/// timestamps show where the time from the agent's Call to the INVITE on the wire goes (the shell, the owner
/// task, the SIP task and the window's channel log under it). Its lines never name the number.
pub const TIMING: &str = "lifeline::timing";

/// How often the owner task checks timers (guard expiry) and audio devices.
const TICK: std::time::Duration = std::time::Duration::from_millis(250);

/// What the owner task hears from the tasks it started: the SIP account, the calls' media, background work.
struct Inboxes {
    sip: mpsc::Receiver<(u64, SipEvent)>,
    media: mpsc::UnboundedReceiver<(u64, MediaEvent)>,
    aux: mpsc::UnboundedReceiver<Aux>,
}

async fn run(
    mut engine: Engine,
    inboxes: Inboxes,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Event>,
) {
    for ev in engine.start() {
        if events.send(ev).await.is_err() {
            return;
        }
    }
    let Inboxes {
        sip: mut sip_events,
        media: mut media_events,
        mut aux,
    } = inboxes;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let evs = tokio::select! {
            cmd = commands.recv() => {
                let Some(cmd) = cmd else { break };
                let quit = cmd == Command::Quit;
                let evs = engine.handle(cmd, OffsetDateTime::now_utc()).await;
                if quit {
                    for ev in evs {
                        let _ = events.send(ev).await;
                    }
                    break;
                }
                evs
            }
            Some(ev) = sip_events.recv() => engine.on_sip(ev).await,
            Some((id, ev)) = media_events.recv() => engine.on_media(id, ev).await,
            Some(a) = aux.recv() => match a {
                Aux::Held(r) => engine.on_held(r),
                Aux::Remembered(account, r) => engine.on_remembered(account, r),
                Aux::DevicesOpened(opened, generation) => {
                    let wanted = generation == engine.audio_generation && !engine.calls.is_empty();
                    engine.audio.devices_opened(opened, wanted).into_iter().map(|change| Event::AudioDevice { change }).collect()
                }
                Aux::RingersStarted(ringers, events) => {
                    let ringing = engine.calls.ringing_incoming().is_some();
                    engine.audio.ringers_started(ringers, ringing);
                    events.into_iter().map(|change| Event::AudioDevice { change }).collect()
                }
                Aux::NetworkChanged => engine.on_network_changed().await,
                Aux::Ice(ice, problems, tunnel) => engine.on_ice(ice, problems, tunnel),
                Aux::TurnProbed(servers, problems) => engine.on_turn_probed(&servers, problems),
                Aux::Saved(Ok(())) => vec![],
                Aux::Saved(Err(e)) => vec![Event::Error { message: format!("The password could not be remembered: {e}") }],
            },
            _ = tick.tick() => engine.on_tick(std::time::Instant::now()),
        };
        for ev in evs {
            if events.send(ev).await.is_err() {
                return;
            }
        }
        // After the events (and after any INVITE): the audit log never delays the emergency path.
        engine.flush_audit();
    }
    engine.flush_audit();
    engine.sign_out_and_wait().await;
    engine.close_all_media().await;
    engine.audio.stop();
    tracing::info!("engine stopped");
}

struct Engine {
    cfg: EngineConfig,
    store: Store,
    os_user: String,
    agreement: Agreement,
    accepted: Option<Acceptance>,
    presence: Presence,
    /// The signed-in SIP account's task, and where it reports.
    sip: Option<SipHandle>,
    sip_sessions: u64,
    sip_tx: mpsc::Sender<(u64, SipEvent)>,
    registration: (RegistrationState, Option<String>),
    /// The signed-in account's domain (numbers dialled go there).
    domain: Option<String>,
    calls: CallTable,
    audio: AudioLine,
    media_tx: mpsc::UnboundedSender<(u64, MediaEvent)>,
    /// Events to hand out with the next batch (e.g. from start-up).
    pending: Vec<Event>,
    policy: EffectivePolicy,
    guard: Guard,
    location: location_flow::LocationState,
    /// The signed-in SIP user.
    account_user: Option<String>,
    notify_wakeup: Arc<tokio::sync::Notify>,
    notify_worker: Option<tokio::task::JoinHandle<()>>,
    aux_tx: mpsc::UnboundedSender<Aux>,
    /// Audit entries written after the current batch of work (see the run loop).
    audit_queue: Vec<(crate::audit::AuditEvent, OffsetDateTime)>,
    /// Counts calls' device openings, so a late one for a call since replaced is dropped.
    audio_generation: u64,
    /// The network changed and the line has not registered again yet (calls' restart offers wait for it).
    reregistration_pending: bool,
    network_watch: Option<tokio::task::JoinHandle<()>>,
    /// How calls' media find a path (STUN/TURN, transport policy, interfaces), set at sign-in.
    ice: crate::media::ice::IceSettings,
    /// TLS trust for TURN over TLS, as the SIP connection has it (built at sign-in, off the owner task).
    tunnel_options: Option<crate::media::turn_tunnel::TunnelOptions>,
    /// The TURN probe in the background (aborted when a newer one starts), and what it has shown since
    /// sign-in (a probe after a network change repeats nothing).
    turn_probe: Option<tokio::task::JoinHandle<()>>,
    turn_problems_shown: std::collections::HashSet<String>,
}

impl Engine {
    fn new(cfg: EngineConfig, store: Store, audio: AudioLine) -> (Engine, Inboxes) {
        let agreement = Agreement::shipped(&cfg.effective_locale());
        let os_user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".to_owned());
        let (sip_tx, sip_rx) = mpsc::channel(EVENT_QUEUE);
        let (media_tx, media_rx) = mpsc::unbounded_channel();
        let (aux_tx, aux_rx) = mpsc::unbounded_channel();
        let policy = crate::policy::load_effective(&[], None);
        let engine = Engine {
            cfg,
            store,
            os_user,
            agreement,
            accepted: None,
            presence: Presence::Available,
            sip: None,
            sip_sessions: 0,
            sip_tx,
            registration: (RegistrationState::Unregistered, None),
            domain: None,
            calls: CallTable::default(),
            audio,
            media_tx,
            pending: Vec::new(),
            guard: Guard::new(&policy.policy.emergency),
            policy,
            location: location_flow::LocationState::default(),
            account_user: None,
            notify_wakeup: Arc::new(tokio::sync::Notify::new()),
            notify_worker: None,
            aux_tx,
            audit_queue: Vec::new(),
            audio_generation: 0,
            reregistration_pending: false,
            network_watch: None,
            ice: crate::media::ice::IceSettings::default(),
            tunnel_options: None,
            turn_probe: None,
            turn_problems_shown: Default::default(),
        };
        (
            engine,
            Inboxes {
                sip: sip_rx,
                media: media_rx,
                aux: aux_rx,
            },
        )
    }

    /// The managed policy in force: the guard's rules, the network map, and the banner for its problems.
    fn set_policy(&mut self, policy: EffectivePolicy) {
        for w in &policy.warnings {
            tracing::warn!("policy: {w}");
        }
        self.guard.set_policy(&policy.policy.emergency);
        match policy.policy.location.validate() {
            Ok(map) => self.location.map = map,
            Err(e) => tracing::warn!("policy: {e}"),
        }
        self.policy = policy;
    }

    fn policy_event(&self) -> Event {
        Event::PolicyStatus {
            managed: self.policy.managed.iter().cloned().collect(),
            warnings: self.policy.warnings.iter().map(|w| w.to_string()).collect(),
        }
    }

    /// Delivers queued notifications (and their retries) in the background, when anyone is to be told.
    fn start_notify_worker(&mut self) {
        if !self.policy.policy.notify.has_recipients() && self.policy.policy.audit.url.is_none() {
            return;
        }
        let needs_secret = self
            .policy
            .policy
            .notify
            .smtp
            .as_ref()
            .is_some_and(|s| s.password_ref.is_some());
        let secrets: Arc<dyn crate::notify::SecretSource> = match needs_secret
            .then(crate::secrets::Keychain::open)
        {
            Some(Ok(k)) => Arc::new(k),
            Some(Err(e)) => {
                tracing::warn!("notify: the SMTP password cannot be read from the keychain: {e}");
                Arc::new(crate::notify::NoSecrets)
            }
            None => Arc::new(crate::notify::NoSecrets),
        };
        let mut cfg = crate::notify::WorkerConfig::new(self.policy.policy.notify.clone(), secrets);
        cfg.audit_url = self.policy.policy.audit.url.clone();
        self.notify_worker = Some(crate::notify::spawn_worker(
            cfg,
            self.cfg.data_dir.clone(),
            self.notify_wakeup.clone(),
        ));
    }

    fn start(&mut self) -> Vec<Event> {
        match self
            .store
            .acceptance_of(&self.os_user, &self.agreement.fingerprint())
        {
            Ok(found) => self.accepted = found,
            Err(e) => tracing::error!("reading agreement acceptance failed: {e}"),
        }
        if !self.cfg.data_dir.as_os_str().is_empty() {
            self.resume_remembered_account();
        }
        let mut out = self.start_guard(OffsetDateTime::now_utc());
        // The snapshot below carries the location: its own announcement would say it twice.
        let _ = self.refresh_location(std::time::Instant::now(), true);
        let mut first = self.snapshot();
        first.append(&mut out);
        first.append(&mut self.pending);
        first
    }

    fn snapshot(&self) -> Vec<Event> {
        let mut out = vec![Event::AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            lab: self.cfg.lab,
            server: self.cfg.server.clone(),
            domain: self.cfg.domain.clone(),
            user: self.cfg.user.clone(),
        }];
        out.push(match &self.accepted {
            Some(a) => accepted_event(a),
            None => Event::AgreementRequired {
                version: self.agreement.version.clone(),
                locale: self.agreement.locale.clone(),
                title: self.agreement.title.clone(),
                text: self.agreement.body.clone(),
            },
        });
        out.push(Event::Registration {
            state: self.registration.0,
            reason: self.registration.1.clone(),
        });
        if !self.guard.protecting() {
            out.push(Event::Presence {
                status: self.presence,
                forced: false,
            });
        }
        // While protecting: the forced presence, then the mode.
        out.extend(self.guard.current_events(OffsetDateTime::now_utc()));
        out.push(self.location_event());
        out.push(self.policy_event());
        out.push(self.history_event());
        out.extend(self.calls.iter().map(|(id, c)| c.event(id, None)));
        out
    }

    async fn handle(&mut self, cmd: Command, now: OffsetDateTime) -> Vec<Event> {
        match cmd {
            Command::AcceptAgreement => self.accept_agreement(now),
            Command::Snapshot => self.snapshot(),
            Command::SetPresence { status } => self.request_presence(status),
            Command::EmergencyExit => self.guard_input(GuardInput::Exit),
            Command::EmergencyRemain => self.guard_input(GuardInput::Remain),
            Command::SetLocation { address } => self.set_location(address),
            Command::SetDevices {
                input,
                output,
                ringer,
            } => {
                let mut evs = match self.audio.choose(input, output, ringer) {
                    Ok(changes) => changes
                        .into_iter()
                        .map(|change| Event::AudioDevice { change })
                        .collect(),
                    Err(e) => vec![Event::Error {
                        message: e.to_string(),
                    }],
                };
                evs.push(self.devices_event());
                evs
            }
            Command::ListDevices => vec![self.devices_event()],
            Command::SignIn {
                server,
                domain,
                user,
                password,
                remember,
            } => {
                if password.is_empty() {
                    // "Use my remembered password": ask the keychain (off this task), then sign in.
                    self.sip = None;
                    self.look_up_password(
                        account_flow::RememberedAccount {
                            server,
                            domain,
                            user,
                        },
                        true,
                    );
                    return vec![];
                }
                let evs = if remember {
                    self.remember(&server, &domain, &user, &password)
                } else {
                    vec![]
                };
                self.start_sign_in(server, domain, user, password);
                evs
            }
            Command::SignOut if self.guard.protecting() => {
                let outs = self.guard.handle(GuardInput::SignOut, now);
                let refused = outs
                    .iter()
                    .any(|o| matches!(o, crate::emergency::guard::GuardOutput::Refused(_)));
                let mut evs = self.apply_guard(outs);
                if !refused {
                    evs.extend(self.sign_out());
                }
                evs
            }
            Command::SignOut => self.sign_out(),
            Command::Quit => vec![],
            Command::Dial { number } => self.dial_any(number).await,
            Command::Answer => self.answer().await,
            Command::Reject => self.reject(),
            Command::Hangup => self.hangup(),
            Command::Dtmf { digits } => self.dtmf(&digits),
            Command::Hold => self.hold(true).await,
            Command::Resume => self.hold(false).await,
            Command::Mute { on } => self.mute(on),
            other => vec![Event::Error {
                message: format!("{} is not available in this build yet", name(&other)),
            }],
        }
    }

    fn devices_event(&self) -> Event {
        let (available, [input, output, ringer]) = self.audio.devices();
        Event::Devices {
            available,
            input,
            output,
            ringer,
        }
    }

    fn audit(&mut self, ev: crate::audit::AuditEvent) {
        self.audit_queue.push((ev, OffsetDateTime::now_utc()));
    }

    fn flush_audit(&mut self) {
        for (ev, at) in std::mem::take(&mut self.audit_queue) {
            if let Err(e) = self.store.audit_append(&ev, at) {
                tracing::error!("audit: cannot append: {e}");
            }
        }
    }

    fn start_sign_in(&mut self, server: String, domain: String, user: String, password: String) {
        if let Some(old) = self.sip.take() {
            let _ = old.commands.try_send(SipCommand::SignOut);
        }
        self.domain = Some(domain.clone());
        self.account_user = Some(user.clone());
        self.refresh_ice(&server);
        let cfg = SipConfig::for_sign_in(
            &self.cfg,
            self.policy.policy.sip.allow_insecure_ws,
            server,
            domain,
            user,
            password,
        );
        self.sip_sessions += 1;
        self.sip = Some(crate::sip::spawn(
            cfg,
            self.sip_sessions,
            self.sip_tx.clone(),
        ));
        if self.network_watch.is_none() {
            self.network_watch = Some(network_flow::spawn_watch(self.aux_tx.clone()));
        }
    }

    fn sign_out(&mut self) -> Vec<Event> {
        match &self.sip {
            Some(h) => {
                let _ = h.commands.try_send(SipCommand::SignOut);
                vec![]
            }
            None => vec![Event::Registration {
                state: RegistrationState::Unregistered,
                reason: None,
            }],
        }
    }

    /// Timers and device checks.
    fn on_tick(&mut self, now: std::time::Instant) -> Vec<Event> {
        let mut evs: Vec<Event> = self
            .audio
            .poll(now)
            .into_iter()
            .map(|change| Event::AudioDevice { change })
            .collect();
        if self.guard.protecting() {
            evs.extend(self.guard_input(GuardInput::Tick));
        }
        evs.extend(self.refresh_location(now, false));
        evs
    }

    /// What the SIP task reported, as engine events.
    async fn on_sip(&mut self, (session, ev): (u64, SipEvent)) -> Vec<Event> {
        if self.sip.as_ref().map(|h| h.session) != Some(session) {
            return vec![]; // from a sign-in since replaced or ended
        }
        match ev {
            SipEvent::Registration { state, reason } => {
                let newly = state == RegistrationState::Registered && self.registration.0 != state;
                self.registration = (state, reason.clone());
                if state == RegistrationState::Registered {
                    self.send_restart_offers();
                }
                let mut evs = vec![Event::Registration { state, reason }];
                if newly {
                    // What an emergency call from this line would send, now that there is a line.
                    evs.push(self.location_event());
                }
                evs
            }
            SipEvent::Call(ev) => self.on_call_event(ev).await,
            SipEvent::CallError { id, error } => {
                vec![Event::Error {
                    message: format!("call {}: {error}", crate::calls::call_id(id)),
                }]
            }
        }
    }

    /// On quit: unregister (bounded wait) so the server does not keep ringing a gone client.
    async fn sign_out_and_wait(&mut self) {
        if let Some(h) = self.sip.take() {
            let _ = h.commands.send(SipCommand::SignOut).await;
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), h.task).await;
        }
    }

    fn accept_agreement(&mut self, now: OffsetDateTime) -> Vec<Event> {
        let a = Acceptance {
            os_user: self.os_user.clone(),
            version: self.agreement.version.clone(),
            locale: self.agreement.locale.clone(),
            text_sha256: self.agreement.fingerprint(),
            accepted_at: now
                .format(&Rfc3339)
                .unwrap_or_else(|_| now.unix_timestamp().to_string()),
        };
        match self.store.record_acceptance(&a) {
            Ok(()) => {
                let ev = accepted_event(&a);
                self.audit(crate::audit::AuditEvent::AgreementAccepted {
                    os_user: a.os_user.clone(),
                    version: a.version.clone(),
                    locale: a.locale.clone(),
                    text_sha256: a.text_sha256.clone(),
                });
                self.accepted = Some(a);
                vec![ev]
            }
            Err(e) => vec![store_error(e)],
        }
    }
}

fn accepted_event(a: &Acceptance) -> Event {
    Event::AgreementAccepted {
        version: a.version.clone(),
        text_sha256: a.text_sha256.clone(),
        at: a.accepted_at.clone(),
    }
}

fn store_error(e: StoreError) -> Event {
    Event::Error {
        message: format!("Could not save to the local database: {e}"),
    }
}

/// The command's wire name, for messages.
fn name(cmd: &Command) -> String {
    serde_json::to_value(cmd)
        .ok()
        .and_then(|v| v.get("cmd").and_then(|c| c.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "command".to_owned())
}

#[cfg(test)]
impl Engine {
    /// An engine under this managed-policy document (as if read from one policy file), and its inboxes.
    fn with_policy(doc: serde_json::Value) -> (Engine, Inboxes) {
        let (mut e, inboxes) = Engine::new(
            EngineConfig::default(),
            Store::in_memory().expect("store"),
            AudioLine::Silent,
        );
        let doc = crate::policy::SourceDoc {
            source: "test".into(),
            doc: Ok(doc),
        };
        e.set_policy(crate::policy::load_effective(&[doc], None));
        (e, inboxes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        let cfg = EngineConfig {
            locale: Some("en".into()),
            ..EngineConfig::default()
        };
        Engine::new(cfg, Store::in_memory().expect("store"), AudioLine::Silent).0
    }

    #[test]
    fn a_new_agent_is_asked_to_accept_the_agreement() {
        let mut e = engine();
        let evs = e.start();
        assert!(evs
            .iter()
            .any(|ev| matches!(ev, Event::AgreementRequired { version, .. } if version == "1")));
    }

    #[test]
    fn acceptance_is_recorded_and_not_asked_again() {
        let mut e = engine();
        e.start();
        let evs = e.accept_agreement(OffsetDateTime::UNIX_EPOCH);
        assert!(
            matches!(&evs[..], [Event::AgreementAccepted { at, .. }] if at == "1970-01-01T00:00:00Z")
        );
        let again = e.start();
        assert!(again
            .iter()
            .any(|ev| matches!(ev, Event::AgreementAccepted { .. })));
        assert!(!again
            .iter()
            .any(|ev| matches!(ev, Event::AgreementRequired { .. })));
    }
}

#[cfg(test)]
#[path = "flow_tests.rs"]
mod flow_tests;
