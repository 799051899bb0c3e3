//! The engine's core: one sans-IO state machine that alone holds the softphone's state, in the style of
//! str0m's `Rtc` and quinn-proto's `Connection`. [`Core::handle_input`] takes an [`Input`] (a command, a
//! SIP event, a media result, a tick) with the time it happens at; [`Core::poll_output`] hands out what
//! is to be done ([`Output`]: events for the UI, SIP requests, media work, store writes, background
//! work); [`Core::poll_timeout`] says when it wants a [`Input::Tick`].
//!
//! Properties the flows keep (and the tests check):
//! - The core never waits: ICE gathering, the SIP task, the keychain and the disk are outputs whose
//!   results come back as inputs, so a Hangup, a SIP event or a tick is handled while an offer gathers —
//!   during an emergency dial too.
//! - Outputs are carried out in order: the guard's state is written before the events after it reach the
//!   UI, and on an emergency dial the INVITE is the first output once the offer is made.
//! - Time is an input: nothing here reads a clock (the driver does).
//!
//! The async [`driver`] (with its supervisor, `driver/supervise.rs`) is the only place with `.await`:
//! it carries out the outputs and feeds the results back, and decides nothing. The shells (desktop app,
//! headless binary) only forward commands
//! and events.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use time::format_description::well_known::Rfc3339;

use crate::agreement::Agreement;
use crate::api::{
    Command, EmergencyFailedCode, ErrorCode, Event, HistoryEntry, Presence, RegistrationState,
};
use crate::audio::devices::DeviceInfo;
use crate::audio::line::AudioLine;
use crate::audio::worker::{DeviceReport, DeviceWork};
use crate::calls::{CallTable, SipId};
use crate::config::EngineConfig;
use crate::emergency::guard::{Guard, GuardInput};
use crate::location::country::CountryCode;
use crate::policy::EffectivePolicy;
use crate::sip::registration::RegCause;
use crate::sip::{CallEvent, SipConfig, SipEvent};
use crate::store::Acceptance;

mod account_flow;
mod auto_answer;
mod call_flow;
mod conference_flow;
pub mod driver;
mod emergency_flow;
mod history_flow;
pub mod io;
mod line_flow;
mod location_flow;
mod network_flow;
mod own_presence_flow;
pub mod persist;
mod presence_flow;
mod refusals;
mod relocate_flow;
mod replaces_flow;
mod selftest_flow;
mod transfer_flow;

pub use driver::{spawn, spawn_with, EngineHandle, EngineOptions};
pub use io::{
    Input, MediaDone, MediaRequest, Now, Output, Restored, SipRequest, StoreRequest, Stored, Work,
};

pub use crate::TIMING;

/// How often the core wants a tick (guard expiry, audio devices, the location's refresh).
const TICK: Duration = Duration::from_millis(250);

pub struct Core {
    cfg: EngineConfig,
    os_user: String,
    /// The OS's region (a hint for emergency dialling while the country is not known).
    region_hint: Option<CountryCode>,
    agreement: Agreement,
    accepted: Option<Acceptance>,
    presence: Presence,
    /// The presence last handed to the SIP task for publishing (`presence_flow`), and what the SIP task
    /// said of the publication since sign-in.
    published: Option<crate::presence::publish::PresenceDoc>,
    /// The dialogs last handed to the SIP task for publishing (RFC 4235, `presence_flow`).
    published_dialogs: Option<crate::presence::dialog_info::DialogDoc>,
    publishing: Option<(crate::api::PublishingState, Option<u16>)>,
    /// The publication last held (entity, SIP-ETag), as stored: a restart takes it over.
    publication: Option<(String, String)>,
    /// What the presence server says was set elsewhere, and the overrides (`own_presence_flow`).
    own_presence: own_presence_flow::OwnPresence,
    /// The state last queued for the presence webhooks (`presence_flow`).
    hooked: Option<presence_flow::Hooked>,
    /// The sign-in whose SIP task is current (events from older ones are dropped), and the last number.
    sip_session: Option<u64>,
    sip_sessions: u64,
    /// The line's state, its English reason and what failed (typed), as last reported.
    registration: (RegistrationState, Option<String>, Option<RegCause>),
    /// The signed-in account's domain (numbers dialled go there).
    domain: Option<String>,
    /// The line runs over TLS (a `wss://` server): an emergency call that fails on it may be retried
    /// without TLS (RFC 6881 ED-47, policy `sip.emergency_plain_server`).
    line_tls: bool,
    calls: CallTable,
    /// SIP call events for a dialog not yet named to us (the INVITE's reply may come after its 180).
    early_sip: Vec<CallEvent>,
    audio: AudioLine,
    /// Events to hand out with the first batch (e.g. from start-up).
    pending: Vec<Event>,
    /// This core replaces one that panicked or stopped answering (why): the agent is told at start.
    restarted: Option<Restart>,
    policy: EffectivePolicy,
    guard: Guard,
    location: location_flow::LocationState,
    /// The signed-in SIP user.
    account_user: Option<String>,
    /// The call history the UI is shown (the store's latest entries).
    history: Vec<HistoryEntry>,
    /// Counts calls' device openings, so a late one for a call since replaced is dropped.
    audio_generation: u64,
    /// Each call's way back to the sound devices, and the call that has them: a call another took them
    /// from (put on hold for an emergency call) gets them back when that one ends.
    call_audio: std::collections::BTreeMap<crate::calls::CallId, crate::audio::AudioSwap>,
    devices_with: Option<crate::calls::CallId>,
    /// The three-way conference, when two calls are merged (`conference_flow`).
    conference: Option<conference_flow::Conference>,
    /// The network changed and the line has not registered again yet (calls' restart offers wait for it).
    reregistration_pending: bool,
    network_watched: bool,
    /// How calls' media find a path (STUN/TURN, transport policy, interfaces), set at sign-in.
    ice: crate::media::ice::IceSettings,
    /// TLS trust for TURN over TLS, as the SIP connection has it (built at sign-in, off the core).
    tunnel_options: Option<crate::media::turn_tunnel::TunnelOptions>,
    /// What the TURN probes have shown since sign-in (a probe after a network change repeats nothing).
    turn_problems_shown: std::collections::HashSet<String>,
    /// Incoming calls refused during a flood, told to the agent together ([`refusals`]).
    refusals: refusals::Refusals,
    /// The emergency self-test: the run in progress, the last result, the schedule.
    self_test: selftest_flow::SelfTestState,
    out: VecDeque<Output>,
    /// The time of the input being handled.
    now: Now,
    next_tick: Option<Instant>,
}

impl Core {
    /// A core for this configuration and audio line, created at `now`.
    pub fn new(cfg: EngineConfig, audio: AudioLine, now: Now) -> Core {
        let agreement = Agreement::shipped(&cfg.effective_locale());
        let os_user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".to_owned());
        let policy = crate::policy::load_effective(&[], None);
        Core {
            cfg,
            os_user,
            region_hint: None,
            agreement,
            accepted: None,
            presence: Presence::Available,
            published: None,
            published_dialogs: None,
            publishing: None,
            publication: None,
            own_presence: Default::default(),
            hooked: None,
            sip_session: None,
            sip_sessions: 0,
            registration: (RegistrationState::Unregistered, None, None),
            domain: None,
            line_tls: false,
            calls: CallTable::default(),
            early_sip: Vec::new(),
            audio,
            pending: Vec::new(),
            restarted: None,
            guard: Guard::new(&policy.policy.emergency),
            policy,
            location: location_flow::LocationState::default(),
            account_user: None,
            history: Vec::new(),
            audio_generation: 0,
            call_audio: Default::default(),
            devices_with: None,
            conference: None,
            reregistration_pending: false,
            network_watched: false,
            ice: crate::media::ice::IceSettings::default(),
            tunnel_options: None,
            turn_problems_shown: Default::default(),
            refusals: refusals::Refusals::default(),
            self_test: Default::default(),
            out: VecDeque::new(),
            now,
            next_tick: None,
        }
    }

    /// The managed policy in force: the guard's rules, the network map, and the banner for its problems.
    /// The OS's region, read by the driver at start.
    pub fn set_region_hint(&mut self, region: Option<CountryCode>) {
        self.region_hint = region;
    }

    pub fn set_policy(&mut self, policy: EffectivePolicy) {
        for w in &policy.warnings {
            tracing::warn!("policy: {w}");
        }
        self.guard.set_policy(&policy.policy.emergency);
        self.location.policy_at = Some(self.now.utc);
        self.self_test
            .set_days(policy.policy.emergency.self_test_days);
        match policy.policy.location.validate() {
            Ok(map) => self.location.map = map,
            Err(e) => tracing::warn!("policy: {e}"),
        }
        // IT's `ui.locale` picks the agreement's language too, until it is accepted (an accepted text stays
        // what the agent read).
        if let Some(locale) = policy.policy.ui.locale.as_deref() {
            if self.accepted.is_none() {
                self.agreement = Agreement::shipped(locale);
            }
        }
        self.policy = policy;
    }

    /// The OS user and the agreement's fingerprint (what the driver reads the acceptance for at start).
    pub fn acceptance_key(&self) -> (String, String) {
        (self.os_user.clone(), self.agreement.fingerprint())
    }

    /// Where the driver reads the remembered account at start (none without a data directory).
    pub fn account_dir(&self) -> Option<&std::path::Path> {
        Some(self.cfg.data_dir.as_path()).filter(|d| !d.as_os_str().is_empty())
    }

    /// Stops the audio devices (at shutdown).
    pub fn stop_audio(self) {
        self.audio.stop();
    }

    /// Takes one input at time `now`; what it leads to is read with [`Core::poll_output`].
    pub fn handle_input(&mut self, input: Input, now: Now) {
        self.now = now;
        let evs = match input {
            Input::Start(restored) => self.start(restored),
            Input::Command(cmd) => self.command(cmd),
            Input::Sip { session, event } => self.on_sip(session, event),
            Input::InviteSent { call, result } => self.on_invite_sent(call, result),
            Input::Media { call, event, path } => self.on_media(call, event, path),
            Input::MediaDone { call, done } => self.on_media_done(call, done),
            Input::Devices(report) => self.on_devices(report),
            Input::RingersStarted(ringers, events) => {
                let ringing = self.calls.ringing_incoming().is_some();
                self.audio.ringers_started(ringers, ringing);
                audio_events(events)
            }
            Input::Held(r) => self.on_held(r),
            Input::NetworkSeen(device) => self.network_seen(device, false),
            Input::Remembered(account, r) => self.on_remembered(account, r),
            Input::AccountSaved {
                account,
                password,
                result,
            } => self.on_account_saved(account, password, result),
            Input::Saved(Ok(())) => vec![],
            Input::Saved(Err(e)) => vec![Event::error(
                ErrorCode::Keychain,
                format!("The password could not be remembered: {e}"),
                &[("detail", e)],
            )],
            Input::NetworkChanged => self.on_network_changed(),
            Input::Ice(ice, problems, tunnel) => self.on_ice(ice, problems, tunnel),
            Input::TurnProbed(servers, problems) => self.on_turn_probed(&servers, problems),
            Input::Stored(s) => self.on_stored(s),
            Input::Tick => self.on_tick(),
        };
        self.emit(evs);
        self.sync_publication();
        self.sync_override();
        self.sync_presence_hook();
    }

    /// The next thing to do, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When the core wants the next [`Input::Tick`].
    pub fn poll_timeout(&self) -> Instant {
        let tick = self.next_tick.unwrap_or(self.now.mono);
        self.next_auto_answer().map_or(tick, |at| at.min(tick))
    }

    fn emit(&mut self, evs: Vec<Event>) {
        self.out.extend(evs.into_iter().map(Output::Event));
    }

    fn push(&mut self, out: Output) {
        self.out.push_back(out);
    }

    fn start(&mut self, restored: Restored) -> Vec<Event> {
        match restored.acceptance {
            Ok(found) => self.accepted = found,
            Err(e) => tracing::error!("reading agreement acceptance failed: {e}"),
        }
        self.history = restored.history;
        self.publication = restored.publication;
        self.self_test = selftest_flow::SelfTestState::restore(
            restored.self_test,
            self.policy.policy.emergency.self_test_days,
        );
        self.resume_remembered_account(restored.account);
        let mut out = self.start_guard(restored.guard);
        self.location.agent_entry = restored.agent_entry;
        // The snapshot below carries the location: its own announcement would say it twice.
        let _ = self.network_seen(restored.device, true);
        self.next_tick = Some(self.now.mono + TICK);
        let mut first = self.snapshot();
        first.append(&mut out);
        first.append(&mut self.pending);
        if let Some(why) = self.restarted.take() {
            first.extend(self.restart_notice(why));
        }
        first
    }

    /// This core takes over from one that failed (`why`): at start it tells the agent.
    pub fn restarted_after(&mut self, why: Restart) {
        self.restarted = Some(why);
    }

    /// Use another phone (the engine was gone for a moment, and an emergency must not wait for it), and
    /// whether the callback lock still holds.
    fn restart_notice(&self, why: Restart) -> Vec<Event> {
        let locked = self.guard.protecting();
        let lock = if locked {
            " The emergency callback lock is still on: the dispatcher's call will ring here."
        } else {
            ""
        };
        let (what, code) = match (&why, locked) {
            (Restart::Panicked(_), false) => {
                ("stopped unexpectedly", EmergencyFailedCode::Restarted)
            }
            (Restart::Panicked(_), true) => {
                ("stopped unexpectedly", EmergencyFailedCode::RestartedLocked)
            }
            (Restart::Stalled(_), false) => ("stopped responding", EmergencyFailedCode::Stalled),
            (Restart::Stalled(_), true) => {
                ("stopped responding", EmergencyFailedCode::StalledLocked)
            }
        };
        vec![
            Event::EmergencyCallFailed {
                message: format!(
                    "Lifeline {what} and has restarted. If you need emergency help now, use another \
                     phone.{lock}"
                ),
                address: self
                    .location
                    .current
                    .as_ref()
                    .map(|l| location_flow::label(&l.address)),
                code: Some(code),
                status: None,
            },
            Event::error(
                ErrorCode::EngineRestarted,
                format!("The phone engine {what} and was restarted.{lock}"),
                &[("detail", why.to_string())],
            ),
        ]
    }

    /// Lab and debug builds: `lab_panic` makes the core panic (the supervisor's test). Elsewhere refused.
    fn lab_panic(&self) -> Vec<Event> {
        #[cfg(any(feature = "lab", debug_assertions))]
        if self.cfg.lab {
            panic!("lab_panic: the engine's core was asked to panic");
        }
        not_available("lab_panic")
    }

    /// Lab and debug builds: `lab_hang` blocks the core's thread for `secs` (for ever without), as an
    /// endless loop or a call that never returns would (the watchdog's test). Elsewhere refused.
    fn lab_hang(&self, secs: Option<u64>) -> Vec<Event> {
        #[cfg(any(feature = "lab", debug_assertions))]
        if self.cfg.lab {
            tracing::warn!("lab_hang: the engine's core was asked to hang");
            std::thread::sleep(secs.map_or(Duration::MAX, Duration::from_secs));
            return vec![];
        }
        let _ = secs;
        not_available("lab_hang")
    }

    fn snapshot(&self) -> Vec<Event> {
        let mut out = vec![Event::AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            lab: self.cfg.lab,
            server: self.cfg.server.clone(),
            domain: self.cfg.domain.clone(),
            user: self.cfg.user.clone(),
            locale: self.policy.policy.ui.locale.clone(),
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
        let (state, reason, cause) = self.registration.clone();
        out.push(registration_event(state, reason, cause));
        if !self.guard.protecting() {
            out.push(Event::Presence {
                status: self.presence,
                forced: false,
            });
        }
        // While protecting: the forced presence, then the mode.
        out.extend(self.guard.current_events(self.now.utc));
        out.push(self.location_event());
        out.push(self.policy_event());
        out.extend(self.publishing.map(presence_flow::publishing_event));
        out.push(self.history_event());
        out.push(self.self_test_event());
        out.extend(self.calls.iter().map(|(id, c)| c.event(id, c.state())));
        out
    }

    fn policy_event(&self) -> Event {
        Event::PolicyStatus {
            managed: self.policy.managed.iter().cloned().collect(),
            warnings: self.policy.warnings.iter().map(|w| w.to_string()).collect(),
        }
    }

    /// Every command, by name: a new one does not compile until it is handled here.
    fn command(&mut self, cmd: Command) -> Vec<Event> {
        match cmd {
            Command::AcceptAgreement => self.accept_agreement(),
            Command::Snapshot => self.snapshot(),
            Command::LabPanic => self.lab_panic(),
            Command::LabHang { secs } => self.lab_hang(secs),
            Command::SetPresence { status } => self.request_presence(status),
            Command::EmergencyExit => self.guard_input(GuardInput::Exit),
            Command::EmergencyRemain => self.guard_input(GuardInput::Remain),
            Command::RunSelfTest => {
                self.run_self_test(crate::emergency::selftest::SelfTestTrigger::OnDemand)
            }
            Command::SetLocation { address } => self.set_location(address),
            Command::SetDevices {
                input,
                output,
                ringer,
            } => {
                // The move (if a call has devices open), then the list: the worker answers in order.
                let switch = self.audio.choose(input, output, ringer);
                self.device_work(switch);
                self.list_devices()
            }
            Command::ListDevices => self.list_devices(),
            Command::SignIn {
                server,
                domain,
                user,
                password,
                remember,
            } => {
                if password.is_empty() {
                    // "Use my remembered password": ask the keychain (off the core), then sign in.
                    self.sip_session = None;
                    self.look_up_password(
                        crate::account_file::RememberedAccount {
                            server,
                            domain,
                            user,
                        },
                        true,
                    );
                    return vec![];
                }
                if remember {
                    self.remember(&server, &domain, &user, &password);
                }
                self.start_sign_in(server, domain, user, password);
                vec![]
            }
            Command::SignOut if self.guard.protecting() => {
                let outs = self.guard.handle(GuardInput::SignOut, self.now.utc);
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
            // The driver stops after this command's outputs.
            Command::Quit => vec![],
            Command::Dial { number } => self.dial_any(number),
            Command::Answer { call } => self.answer(call.as_deref()),
            Command::Reject { call } => self.reject(call.as_deref()),
            Command::Hangup { call } => self.hangup(call.as_deref()),
            Command::Dtmf { digits } => self.dtmf(digits),
            Command::Hold { call } => self.hold(call.as_deref(), true),
            Command::Resume { call } => self.hold(call.as_deref(), false),
            Command::Swap => self.swap(),
            Command::Merge => self.merge(),
            Command::Split => self.split(),
            Command::Transfer {
                target,
                call,
                to_call: Some(to),
            } if target.trim().is_empty() => self.transfer_to_call(call.as_deref(), &to),
            Command::Transfer { target, call, .. } => self.transfer(call.as_deref(), &target),
            Command::Mute { on } => self.mute(on),
            // The desktop shell handles it; the headless engine has no login items.
            cmd @ (Command::SetStartAtLogin { .. } | Command::SetHotkey { .. }) => {
                vec![Event::error(
                    ErrorCode::NotAvailable,
                    format!("{} is not available in this build yet", name(&cmd)),
                    &[("command", name(&cmd))],
                )]
            }
        }
    }

    /// The devices there are (listed by the device worker) and the ones chosen; none with audio files.
    fn list_devices(&mut self) -> Vec<Event> {
        match self.audio.chosen() {
            Some(_) => {
                self.device_work(Some(DeviceWork::List));
                vec![]
            }
            None => vec![devices_event(Vec::new(), [None, None, None])],
        }
    }

    fn device_work(&mut self, work: Option<DeviceWork>) {
        if let Some(work) = work {
            self.push(Output::Work(Work::Devices(work)));
        }
    }

    fn on_devices(&mut self, report: DeviceReport) -> Vec<Event> {
        match report {
            DeviceReport::Opened(opened, generation) => {
                let wanted = generation == self.audio_generation && !self.calls.is_empty();
                let (events, keep) = self.audio.devices_opened(opened, wanted);
                self.device_work(keep);
                audio_events(events)
            }
            DeviceReport::Switched(Ok(changes)) | DeviceReport::Polled(changes) => {
                audio_events(changes)
            }
            DeviceReport::Switched(Err(e)) => vec![Event::error(
                ErrorCode::AudioDevice,
                e.clone(),
                &[("detail", e)],
            )],
            DeviceReport::Listed(available) => {
                let chosen = self.audio.chosen().unwrap_or_default();
                vec![devices_event(available, chosen)]
            }
        }
    }

    fn audit(&mut self, ev: crate::audit::AuditEvent) {
        let at = self.now.utc;
        self.push(Output::Store(StoreRequest::Audit(ev, at)));
    }

    fn start_sign_in(&mut self, server: String, domain: String, user: String, password: String) {
        self.domain = Some(domain.clone());
        self.line_tls = server.trim().to_ascii_lowercase().starts_with("wss://");
        self.account_user = Some(user.clone());
        self.refresh_ice(&server);
        let config = SipConfig::for_sign_in(
            &self.cfg,
            &self.policy.policy.sip,
            crate::presence::arbitration::CallbackRules::new(
                &self.policy.policy.emergency,
                self.policy.policy.sip.emergency_line.as_deref(),
            ),
            server,
            domain,
            user,
            password,
        );
        self.sip_sessions += 1;
        self.sip_session = Some(self.sip_sessions);
        self.published = None;
        self.published_dialogs = None;
        self.publishing = None;
        self.push(Output::StartSip {
            session: self.sip_sessions,
            config: Box::new(config),
        });
        self.resume_publication();
        self.watch_own_presence();
        if !self.network_watched {
            self.network_watched = true;
            self.push(Output::Work(Work::WatchNetwork));
        }
    }

    fn sign_out(&mut self) -> Vec<Event> {
        match self.sip_session {
            Some(_) => {
                self.push(Output::Sip(SipRequest::SignOut));
                vec![]
            }
            None => vec![registration_event(
                RegistrationState::Unregistered,
                None,
                None,
            )],
        }
    }

    /// Timers and device checks.
    fn on_tick(&mut self) -> Vec<Event> {
        let now = self.now.mono;
        self.next_tick = Some(now + TICK);
        for sip in self.calls.take_rung_out(now) {
            self.sip(SipRequest::Reject { sip, code: 480 });
        }
        let poll = self.audio.poll(now);
        self.device_work(poll);
        let mut evs = self.tell_held_refusals();
        if self.guard.protecting() {
            evs.extend(self.guard_input(GuardInput::Tick));
        }
        self.refresh_location();
        evs.extend(self.self_test_tick());
        evs.extend(self.transfer_timeouts());
        evs.extend(self.auto_answer_due());
        evs
    }

    /// What the SIP task reported, as engine events.
    fn on_sip(&mut self, session: u64, ev: SipEvent) -> Vec<Event> {
        if self.sip_session != Some(session) {
            return vec![]; // from a sign-in since replaced or ended
        }
        match ev {
            SipEvent::Registration {
                state,
                reason,
                cause,
            } => {
                let newly = state == RegistrationState::Registered && self.registration.0 != state;
                self.registration = (state, reason.clone(), cause.clone());
                if state == RegistrationState::Registered {
                    self.send_restart_offers();
                }
                let mut evs = vec![registration_event(state, reason, cause)];
                if newly {
                    // What an emergency call from this line would send, now that there is a line.
                    evs.push(self.location_event());
                }
                evs
            }
            SipEvent::Call(ev) => self.on_call_event(ev),
            SipEvent::Publishing(news) => self.on_publishing(news),
            SipEvent::PublicationTag(etag) => {
                self.on_publication_tag(etag);
                vec![]
            }
            SipEvent::OwnPresence(foreign) => self.on_own_presence(foreign),
            SipEvent::CallError { id, .. } if self.relocate_not_sent(SipId(id)) => vec![],
            SipEvent::CallError { id, error } => {
                let name = self
                    .calls
                    .by_sip(SipId(id))
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| format!("s{id}"));
                vec![Event::error(
                    ErrorCode::SipCall,
                    format!("call {name}: {error}"),
                    &[("call", name), ("detail", error)],
                )]
            }
        }
    }

    fn accept_agreement(&mut self) -> Vec<Event> {
        let now = self.now.utc;
        let a = Acceptance {
            os_user: self.os_user.clone(),
            version: self.agreement.version.clone(),
            locale: self.agreement.locale.clone(),
            text_sha256: self.agreement.fingerprint(),
            accepted_at: now
                .format(&Rfc3339)
                .unwrap_or_else(|_| now.unix_timestamp().to_string()),
        };
        self.push(Output::Store(StoreRequest::Acceptance(a)));
        vec![]
    }

    fn on_stored(&mut self, s: Stored) -> Vec<Event> {
        match s {
            Stored::History(entries) => {
                self.history = entries;
                vec![self.history_event()]
            }
            Stored::Acceptance(Ok(a)) => {
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
            Stored::Acceptance(Err(e)) => vec![Event::error(
                ErrorCode::StoreFailed,
                format!("Could not save to the local database: {e}"),
                &[("detail", e)],
            )],
            Stored::GuardNotSaved(e) => vec![Event::error(
                ErrorCode::EmergencyStateFailed,
                format!(
                    "The emergency callback state could not be saved ({e}): the callback lock holds \
                     now, but would not survive a restart of Lifeline."
                ),
                &[("detail", e)],
            )],
        }
    }
}

/// The `registration` event: the English reason for scripts, the typed cause as a code for the UI.
fn registration_event(
    state: RegistrationState,
    reason: Option<String>,
    cause: Option<RegCause>,
) -> Event {
    Event::Registration {
        state,
        reason,
        code: cause.as_ref().map(|c| c.failure.code()),
        params: cause
            .as_ref()
            .map(|c| c.failure.params())
            .unwrap_or_default(),
        retrying: cause.is_some_and(|c| c.retrying),
    }
}

fn audio_events(changes: Vec<crate::audio::AudioEvent>) -> Vec<Event> {
    changes
        .into_iter()
        .map(|change| Event::AudioDevice { change })
        .collect()
}

fn devices_event(
    available: Vec<DeviceInfo>,
    [input, output, ringer]: [Option<String>; 3],
) -> Event {
    Event::Devices {
        available,
        input,
        output,
        ringer,
    }
}

/// Why a core took over from another ([`Core::restarted_after`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Restart {
    /// The core panicked (the panic's text).
    Panicked(String),
    /// The core stopped answering for this long without panicking (the watchdog).
    Stalled(Duration),
}

impl std::fmt::Display for Restart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Restart::Panicked(text) => write!(f, "panicked: {text}"),
            Restart::Stalled(silent) => {
                write!(f, "stalled: no answer for {:.1} s", silent.as_secs_f64())
            }
        }
    }
}

/// A lab command refused in this build.
fn not_available(command: &str) -> Vec<Event> {
    vec![Event::error(
        ErrorCode::NotAvailable,
        format!("{command} is not available in this build"),
        &[("command", command.to_owned())],
    )]
}

fn accepted_event(a: &Acceptance) -> Event {
    Event::AgreementAccepted {
        version: a.version.clone(),
        text_sha256: a.text_sha256.clone(),
        at: a.accepted_at.clone(),
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
impl Core {
    /// A core under this managed-policy document (as if read from one policy file).
    fn with_policy(doc: serde_json::Value) -> Core {
        let cfg = EngineConfig {
            locale: Some("en".into()),
            ..EngineConfig::default()
        };
        let mut c = Core::new(cfg, AudioLine::Silent, driver::now());
        let doc = crate::policy::SourceDoc {
            source: "test".into(),
            doc: Ok(doc),
        };
        c.set_policy(crate::policy::load_effective(&[doc], None));
        c
    }
}

#[cfg(test)]
mod harness;

#[cfg(test)]
#[path = "flow_tests.rs"]
mod flow_tests;
#[cfg(test)]
mod line_tests;
#[cfg(test)]
mod make_way_tests;
#[cfg(test)]
mod own_presence_tests;
#[cfg(test)]
mod presence_hook_tests;
#[cfg(test)]
#[path = "presence_tests.rs"]
mod presence_tests;

#[cfg(test)]
mod pair_tests;

#[cfg(test)]
mod selftest_tests;

#[cfg(test)]
mod additional_data_tests;
#[cfg(test)]
mod auto_answer_tests;
#[cfg(test)]
mod transfer_tests;
