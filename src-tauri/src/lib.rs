//! The desktop shell: a window with the web UI, forwarding [`Command`]s to the engine and its
//! [`Event`]s back. No softphone logic lives here.

use std::process::ExitCode;

use lifeline_engine::api::{Command, Event};
use lifeline_engine::config::{default_data_dir, EngineConfig};
use lifeline_engine::store::Store;
use tauri::ipc::Channel;
use tauri::{Manager, State};
use tokio::sync::{mpsc, Mutex};

mod cli;

/// The engine as the shell sees it: where to send commands, and the events waiting for a subscriber.
struct Bridge {
    commands: mpsc::Sender<Command>,
    events: Mutex<Option<mpsc::Receiver<Event>>>,
    subscriber: Mutex<Option<Channel<Event>>>,
}

#[tauri::command]
async fn send_command(command: Command, bridge: State<'_, Bridge>) -> Result<(), String> {
    bridge.commands.send(command).await.map_err(|_| "the engine has stopped".to_owned())
}

/// The UI hands over a channel; every engine event from now on goes there. A reloaded UI subscribes
/// again and asks for a snapshot.
#[tauri::command]
async fn subscribe(on_event: Channel<Event>, bridge: State<'_, Bridge>) -> Result<(), String> {
    *bridge.subscriber.lock().await = Some(on_event);
    bridge.commands.send(Command::Snapshot).await.map_err(|_| "the engine has stopped".to_owned())
}

pub fn main() -> ExitCode {
    let opts = match cli::Options::parse(std::env::args().skip(1)) {
        Ok(cli::Parsed::Run(o)) => o,
        Ok(cli::Parsed::Exit(msg)) => {
            println!("{msg}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("lifeline: {msg}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LIFELINE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match run(opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("lifeline: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(opts: cli::Options) -> Result<(), String> {
    let mut cfg = match &opts.config {
        Some(p) => EngineConfig::load(p).map_err(|e| e.to_string())?,
        None => EngineConfig::default(),
    };
    cfg.data_dir = match opts.data_dir {
        Some(d) => d,
        None => default_data_dir().map_err(|e| e.to_string())?,
    };
    let store = Store::open(&cfg.data_dir).map_err(|e| e.to_string())?;

    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![send_command, subscribe])
        .setup(move |app| {
            let handle = tauri::async_runtime::block_on(async { lifeline_engine::core::spawn(cfg, store) });
            app.manage(Bridge {
                commands: handle.commands,
                events: Mutex::new(Some(handle.events)),
                subscriber: Mutex::new(None),
            });
            let app_handle = app.handle().clone();
            tauri::async_runtime::spawn(forward_events(app_handle));
            Ok(())
        })
        .build(tauri::generate_context!())
        .map_err(|e| format!("cannot start the window: {e}"))?
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                let bridge = app.state::<Bridge>();
                let _ = bridge.commands.try_send(Command::Quit);
            }
        });
    Ok(())
}

/// Moves engine events to the current subscriber. Events before the first subscription are dropped: the
/// UI asks for a snapshot when it subscribes, so it never misses the state.
async fn forward_events(app: tauri::AppHandle) {
    let bridge = app.state::<Bridge>();
    let Some(mut events) = bridge.events.lock().await.take() else { return };
    while let Some(ev) = events.recv().await {
        if let Some(ch) = bridge.subscriber.lock().await.as_ref() {
            if let Err(e) = ch.send(ev) {
                tracing::warn!("event not delivered to the window: {e}");
            }
        }
    }
}

