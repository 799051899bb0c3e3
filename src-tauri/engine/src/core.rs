//! The engine's owner task: it alone holds the softphone's state, takes [`Command`]s from one queue and
//! sends [`Event`]s to one queue. The shells (desktop app, headless binary) only forward.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::sync::mpsc;

use crate::agreement::Agreement;
use crate::api::{Command, Event, Presence, RegistrationState};
use crate::config::EngineConfig;
use crate::store::{Acceptance, Store, StoreError};

/// How many commands may wait before a sender has to wait; the UI never sends faster than a person clicks.
const COMMAND_QUEUE: usize = 64;
/// Events buffered towards a slow reader before the engine waits for it.
const EVENT_QUEUE: usize = 1024;

/// What the shells hold: a way to send commands and the stream of events.
pub struct EngineHandle {
    pub commands: mpsc::Sender<Command>,
    pub events: mpsc::Receiver<Event>,
}

/// Starts the engine on the current tokio runtime.
pub fn spawn(cfg: EngineConfig, store: Store) -> EngineHandle {
    let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_QUEUE);
    let (ev_tx, ev_rx) = mpsc::channel(EVENT_QUEUE);
    tokio::spawn(run(Engine::new(cfg, store), cmd_rx, ev_tx));
    EngineHandle { commands: cmd_tx, events: ev_rx }
}

async fn run(mut engine: Engine, mut commands: mpsc::Receiver<Command>, events: mpsc::Sender<Event>) {
    for ev in engine.start() {
        if events.send(ev).await.is_err() {
            return;
        }
    }
    while let Some(cmd) = commands.recv().await {
        let quit = cmd == Command::Quit;
        for ev in engine.handle(cmd, OffsetDateTime::now_utc()) {
            if events.send(ev).await.is_err() {
                return;
            }
        }
        if quit {
            break;
        }
    }
    tracing::info!("engine stopped");
}

struct Engine {
    cfg: EngineConfig,
    store: Store,
    os_user: String,
    agreement: Agreement,
    accepted: Option<Acceptance>,
    presence: Presence,
}

impl Engine {
    fn new(cfg: EngineConfig, store: Store) -> Engine {
        let agreement = Agreement::shipped(&cfg.effective_locale());
        let os_user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".to_owned());
        Engine { cfg, store, os_user, agreement, accepted: None, presence: Presence::Available }
    }

    fn start(&mut self) -> Vec<Event> {
        match self.store.acceptance_of(&self.os_user, &self.agreement.fingerprint()) {
            Ok(found) => self.accepted = found,
            Err(e) => tracing::error!("reading agreement acceptance failed: {e}"),
        }
        self.snapshot()
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
        out.push(Event::Registration { state: RegistrationState::Unregistered, reason: None });
        out.push(Event::Presence { status: self.presence, forced: false });
        out
    }

    fn handle(&mut self, cmd: Command, now: OffsetDateTime) -> Vec<Event> {
        match cmd {
            Command::AcceptAgreement => self.accept_agreement(now),
            Command::Snapshot => self.snapshot(),
            Command::SetPresence { status } => {
                self.presence = status;
                vec![Event::Presence { status, forced: false }]
            }
            Command::Quit => vec![],
            other => vec![Event::Error { message: format!("{} is not available in this build yet", name(&other)) }],
        }
    }

    fn accept_agreement(&mut self, now: OffsetDateTime) -> Vec<Event> {
        let a = Acceptance {
            os_user: self.os_user.clone(),
            version: self.agreement.version.clone(),
            locale: self.agreement.locale.clone(),
            text_sha256: self.agreement.fingerprint(),
            accepted_at: now.format(&Rfc3339).unwrap_or_else(|_| now.unix_timestamp().to_string()),
        };
        match self.store.record_acceptance(&a) {
            Ok(()) => {
                let ev = accepted_event(&a);
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
    Event::Error { message: format!("Could not save to the local database: {e}") }
}

/// The command's wire name, for messages.
fn name(cmd: &Command) -> String {
    serde_json::to_value(cmd)
        .ok()
        .and_then(|v| v.get("cmd").and_then(|c| c.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "command".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        let cfg = EngineConfig { locale: Some("en".into()), ..EngineConfig::default() };
        Engine::new(cfg, Store::in_memory().expect("store"))
    }

    #[test]
    fn a_new_agent_is_asked_to_accept_the_agreement() {
        let mut e = engine();
        let evs = e.start();
        assert!(evs.iter().any(|ev| matches!(ev, Event::AgreementRequired { version, .. } if version == "1")));
    }

    #[test]
    fn acceptance_is_recorded_and_not_asked_again() {
        let mut e = engine();
        e.start();
        let evs = e.handle(Command::AcceptAgreement, OffsetDateTime::UNIX_EPOCH);
        assert!(matches!(&evs[..], [Event::AgreementAccepted { at, .. }] if at == "1970-01-01T00:00:00Z"));
        let again = e.start();
        assert!(again.iter().any(|ev| matches!(ev, Event::AgreementAccepted { .. })));
        assert!(!again.iter().any(|ev| matches!(ev, Event::AgreementRequired { .. })));
    }
}
