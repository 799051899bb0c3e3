//! The desktop shell: a window with the web UI, forwarding [`Command`]s to the engine and its
//! [`Event`]s back. No softphone logic lives here; the shell adds what only a desktop app has: one instance
//! per session, `tel:`/`sip:` links, start at login, the window's size and place, log files, and a window
//! that will not close while emergency mode keeps the line (`quit_guard`).

use std::process::ExitCode;

use lifeline_engine::api::{Command, Event, HotkeyAction};
use lifeline_engine::config::{default_data_dir, EngineConfig};
use lifeline_engine::core::TIMING;
use lifeline_engine::store_recovery::open_or_recover;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State, WindowEvent};
use tauri_plugin_autostart::ManagerExt as _;
use tokio::sync::{mpsc, watch};

mod call_alerts;
mod cli;
mod deep_link;
mod desk;
mod headset;
mod headset_device;
mod hotkeys;
mod logging;
mod quit_guard;
mod startup_failure;
#[cfg(test)]
mod test_support;
mod tray_status;
mod ui_events;
mod window_state;

use quit_guard::{Decision, EmergencyState};
use ui_events::ToUi;

/// The engine and the UI owner as the shell's commands see them.
struct Bridge {
    commands: mpsc::Sender<Command>,
    ui: mpsc::Sender<ToUi>,
    /// The emergency state from the engine's events (written by `ui_events` only).
    emergency: watch::Receiver<EmergencyState>,
}

const ENGINE_STOPPED: &str = "the engine has stopped; restart Lifeline";
const HOTKEYS_STOPPED: &str = "the hotkeys cannot be changed now; restart Lifeline";

/// The global hotkeys' one owner (Settings changes them while the app runs).
struct HotkeysOwner(std::sync::Mutex<hotkeys::Hotkeys>);

/// Where a command from the UI goes: the shell's own settings stay here, everything else to the engine.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    StartAtLogin(bool),
    Hotkey(HotkeyAction, Option<String>),
    Engine(Command),
}

fn route(command: Command) -> Route {
    match command {
        Command::SetStartAtLogin { on } => Route::StartAtLogin(on),
        Command::SetHotkey { action, keys } => Route::Hotkey(action, keys),
        other => Route::Engine(other),
    }
}

#[tauri::command]
async fn send_command(
    command: Command,
    app: AppHandle,
    bridge: State<'_, Bridge>,
) -> Result<(), String> {
    match route(command) {
        Route::StartAtLogin(on) => set_start_at_login(&app, &bridge, on).await,
        Route::Hotkey(action, keys) => {
            let event = {
                let hotkeys = app.state::<HotkeysOwner>();
                let mut hotkeys = hotkeys.0.lock().map_err(|_| HOTKEYS_STOPPED.to_owned())?;
                hotkeys.set(&app, action, keys)
            };
            bridge
                .ui
                .send(ToUi::Shell(event))
                .await
                .map_err(|_| ENGINE_STOPPED.to_owned())
        }
        Route::Engine(cmd) => {
            log::debug!(target: TIMING, "send_command: taken from the window");
            bridge
                .commands
                .send(cmd)
                .await
                .map_err(|_| ENGINE_STOPPED.to_owned())
        }
    }
}

/// The UI hands over a channel; every event from now on goes there. A reloaded UI subscribes again; the
/// engine repeats its state (snapshot) and the shell sends its settings and any link opened meanwhile.
#[tauri::command]
async fn subscribe(
    on_event: Channel<Event>,
    app: AppHandle,
    bridge: State<'_, Bridge>,
) -> Result<(), String> {
    let mut first = vec![app_settings(&app)];
    if let Some(hotkeys) = app.try_state::<HotkeysOwner>() {
        match hotkeys.0.lock() {
            Ok(h) => first.push(h.event(None)),
            Err(_) => log::warn!("{HOTKEYS_STOPPED}"),
        }
    }
    bridge
        .ui
        .send(ToUi::Subscribe {
            channel: on_event,
            first,
        })
        .await
        .map_err(|_| ENGINE_STOPPED.to_owned())?;
    bridge
        .commands
        .send(Command::Snapshot)
        .await
        .map_err(|_| ENGINE_STOPPED.to_owned())
}

fn app_settings<R: Runtime>(app: &AppHandle<R>) -> Event {
    let start_at_login = app.autolaunch().is_enabled().unwrap_or_else(|e| {
        log::warn!("cannot tell whether start at login is on: {e}");
        false
    });
    Event::AppSettings { start_at_login }
}

async fn set_start_at_login<R: Runtime>(
    app: &AppHandle<R>,
    bridge: &Bridge,
    on: bool,
) -> Result<(), String> {
    let launcher = app.autolaunch();
    let result = if on {
        launcher.enable()
    } else {
        launcher.disable()
    };
    // Whatever happened, the UI shows the setting as it now is.
    let _ = bridge.ui.send(ToUi::Shell(app_settings(app))).await;
    result.map_err(|e| {
        let what = if on { "turn on" } else { "turn off" };
        log::warn!("start at login: could not {what}: {e}");
        format!(
            "Could not {what} start at login ({e}). Your IT department may manage this setting."
        )
    })
}

/// Links from a launch (this one's arguments or a second launch's): the last valid one fills the dialler.
fn handle_links<R: Runtime>(app: &AppHandle<R>, links: &[&str]) {
    let mut wanted = None;
    for link in links {
        match deep_link::dial_text(link) {
            Ok(text) => wanted = Some(text),
            // Never log the link itself: it may hold an emergency number.
            Err(e) => log::warn!("ignored a link given to Lifeline: {e}"),
        }
    }
    let Some(number) = wanted else { return };
    log::info!("a tel:/sip: link filled the dialler (not dialled)");
    let ui = app.state::<Bridge>().ui.clone();
    tauri::async_runtime::spawn(async move {
        if ui
            .send(ToUi::Shell(Event::DialRequest { number }))
            .await
            .is_err()
        {
            log::warn!("a link arrived while Lifeline was stopping; ignored");
        }
    });
}

/// The quit rule (`quit_guard`) for a close or exit request: true when the app must keep running; the UI is
/// then told why and until when.
fn keep_running<R: Runtime>(app: &AppHandle<R>) -> bool {
    let Some(bridge) = app.try_state::<Bridge>() else {
        return false;
    };
    let state = bridge.emergency.borrow().clone();
    match quit_guard::on_quit_request(&state, time::OffsetDateTime::now_utc()) {
        Decision::Close => false,
        Decision::Keep(reason) => {
            log::info!("a request to close Lifeline was refused: emergency mode keeps the line");
            if bridge.ui.try_send(ToUi::Shell(reason)).is_err() {
                log::warn!("could not tell the window why Lifeline stays open");
            }
            true
        }
    }
}

/// The user's window manager asked to close the window (the close button, Alt+F4). With a tray icon the
/// window goes to the tray and the line stays up; in emergency mode it is minimised instead (the agent
/// must see why Lifeline stays and the callback); without a tray it closes, as before the tray existed.
fn on_close_requested<R: Runtime>(window: &tauri::Window<R>, api: &tauri::CloseRequestApi) {
    let app = window.app_handle();
    if keep_running(app) {
        api.prevent_close();
        if let Err(e) = window.minimize() {
            log::warn!("could not minimise the window: {e}");
        }
    } else if app.try_state::<desk::TrayPresent>().is_some_and(|t| t.0) {
        api.prevent_close();
        log::info!("the window was closed to the tray; the line stays up");
        if let Err(e) = window.hide() {
            log::warn!("could not hide the window: {e}");
        }
    }
}

/// Quit from the tray menu: the same rule as closing. Refused during the emergency call and the lock,
/// and the window comes forward to say why and until when.
fn quit_from_tray<R: Runtime>(app: &AppHandle<R>) {
    if keep_running(app) {
        desk::raise_window(app, true, call_alerts::Attention::Informational);
    } else {
        log::info!("quit from the tray");
        app.exit(0);
    }
}

/// The last window went without a close request (destroyed by code) and the app would exit: in
/// emergency mode it stays, with a new window so the agent sees the callback.
fn on_exit_requested<R: Runtime>(app: &AppHandle<R>, api: &tauri::ExitRequestApi) {
    if !keep_running(app) {
        return;
    }
    api.prevent_exit();
    if app.get_webview_window("main").is_some() {
        return;
    }
    let made = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == "main")
        .map(|config| {
            tauri::WebviewWindowBuilder::from_config(app, config).and_then(|b| b.build())
        });
    match made {
        Some(Ok(_)) => log::info!("the window was opened again: emergency mode keeps the line"),
        Some(Err(e)) => log::warn!("could not open the window again: {e}"),
        None => log::warn!("no main window in the app's configuration"),
    }
}

fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        if let Err(e) = w.set_focus() {
            log::warn!("could not bring the window to the front: {e}");
        }
    }
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
    match run(opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            startup_failure::report(&msg);
            ExitCode::FAILURE
        }
    }
}

/// On Windows the window is drawn by the Microsoft Edge WebView2 Runtime, which not every machine has (Windows
/// 10 without Edge updates, some locked-down images, Wine). Without it tauri panics deep in its event loop,
/// after the engine's plugins started; asked first, the agent and IT get a sentence (a message box, the log:
/// `startup_failure`) and an exit code instead.
#[cfg(windows)]
fn webview2_installed() -> Result<(), String> {
    tauri::webview_version().map(|_| ()).map_err(|e| {
        format!(
            "the Microsoft Edge WebView2 Runtime, which shows Lifeline's window, is not installed on this \
             computer ({e}); IT can install it from https://go.microsoft.com/fwlink/p/?LinkId=2124703"
        )
    })
}

/// The start-up file and data directory. Read in `setup`, i.e. only by the instance that runs: a second
/// launch hands its arguments over before this, so nothing it names is ever opened by it.
fn load_config(opts: &cli::Options) -> Result<EngineConfig, String> {
    let mut cfg = match &opts.config {
        Some(p) => EngineConfig::load(p).map_err(|e| e.to_string())?,
        None => EngineConfig::default(),
    };
    cfg.data_dir = match &opts.data_dir {
        Some(d) => d.clone(),
        None => default_data_dir().map_err(|e| e.to_string())?,
    };
    Ok(cfg)
}

fn run(opts: cli::Options) -> Result<(), String> {
    #[cfg(windows)]
    webview2_installed()?;
    let redactor = lifeline_engine::redact::Redactor::with_builtin_numbers()
        .map_err(|e| format!("log redaction: {e}"))?;
    let log_spec = std::env::var("LIFELINE_LOG").unwrap_or_else(|_| "info".to_owned());
    // Started at login, Lifeline opens with the same profile it was started with when the agent chose it.
    let mut autostart_args = Vec::new();
    if let Some(c) = &opts.config {
        autostart_args.extend(["--config".to_owned(), c.display().to_string()]);
    }
    if let Some(d) = &opts.data_dir {
        autostart_args.extend(["--data-dir".to_owned(), d.display().to_string()]);
    }
    // ...and in the tray, out of the way until a call comes.
    autostart_args.push(cli::MINIMIZED.to_owned());
    let links = opts.links.clone();
    let minimized = opts.minimized;
    let save_window = window_state::SaveWhenStill::default();

    tauri::Builder::default()
        // First: a second launch hands its arguments to the running app and exits before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            log::info!("a second launch handed over to this window");
            show_main_window(app);
            // The same rule as for this launch: links count only when they came alone.
            match cli::Options::parse(argv.into_iter().skip(1)) {
                Ok(cli::Parsed::Run(o)) => {
                    let links: Vec<&str> = o.links.iter().map(String::as_str).collect();
                    handle_links(app, &links);
                }
                Ok(cli::Parsed::Exit(_)) => {}
                Err(_) => log::warn!("a second launch's arguments were refused"),
            }
        }))
        .plugin(logging::plugin(redactor, &log_spec))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .args(autostart_args)
                .build(),
        )
        .plugin(window_state::plugin())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_global_shortcut::Builder::new().build())
        .on_window_event(move |window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                on_close_requested(window, api);
            }
            save_window.on_window_event(window, event)
        })
        .invoke_handler(tauri::generate_handler![send_command, subscribe])
        .setup(move |app| {
            let cfg = load_config(&opts)?;
            let hotkeys_file = cfg.data_dir.join("hotkeys.json");
            // A damaged, read-only or full data folder never stops the app: the engine says what is lost.
            let opened = open_or_recover(&cfg.data_dir, time::OffsetDateTime::now_utc())
                .map_err(|e| e.to_string())?;
            let opts = lifeline_engine::core::EngineOptions {
                store_loss: opened.loss,
                ..Default::default()
            };
            let engine = tauri::async_runtime::block_on(async {
                lifeline_engine::core::spawn_with(cfg, opened.store, opts)
            });
            let (ui_tx, ui_rx) = mpsc::channel(64);
            let (emergency_tx, emergency_rx) = watch::channel(EmergencyState::default());
            let (muted_tx, muted_rx) = watch::channel(false);
            let mut desk_view = desk::Desk::new(app.handle(), engine.commands.clone(), muted_tx);
            // The same managed policy the engine reads; only `hotkeys` is the shell's.
            let policy = lifeline_engine::policy::load_startup(None, None);
            let hotkeys = hotkeys::Hotkeys::start(
                app.handle(),
                policy.policy.hotkeys,
                hotkeys_file,
                engine.commands.clone(),
                muted_rx,
            );
            app.manage(HotkeysOwner(std::sync::Mutex::new(hotkeys)));
            // USB headsets' call buttons and lights: found, and found again after a replug, by their thread.
            let headset = headset_device::start(engine.commands.clone());
            let watchers = ui_events::Watchers {
                emergency: emergency_tx,
                desk: Box::new(move |ev| {
                    desk_view.on_engine_event(ev);
                    // The headset's thread; it never blocks this one (an unbounded queue).
                    if headset_device::wants(ev) {
                        let _ = headset.send(ev.clone());
                    }
                }),
            };
            if minimized && app.try_state::<desk::TrayPresent>().is_some_and(|t| t.0) {
                if let Some(w) = app.get_webview_window("main") {
                    log::info!("started in the tray");
                    if let Err(e) = w.hide() {
                        log::warn!("could not start in the tray: {e}");
                    }
                }
            }
            tauri::async_runtime::spawn(ui_events::run(ui_rx, engine.events, watchers));
            app.manage(Bridge {
                commands: engine.commands,
                ui: ui_tx,
                emergency: emergency_rx,
            });
            // macOS delivers clicked links as events; Linux and Windows pass them as arguments.
            #[cfg(target_os = "macos")]
            {
                use tauri_plugin_deep_link::DeepLinkExt as _;
                let handle = app.handle().clone();
                app.deep_link().on_open_url(move |event| {
                    let urls: Vec<String> = event.urls().iter().map(|u| u.to_string()).collect();
                    let links: Vec<&str> = urls.iter().map(String::as_str).collect();
                    show_main_window(&handle);
                    handle_links(&handle, &links);
                });
            }
            let links: Vec<&str> = links.iter().map(String::as_str).collect();
            handle_links(app.handle(), &links);
            Ok(())
        })
        .build(tauri::generate_context!())
        .map_err(|e| format!("cannot start the window: {e}"))?
        .run(|app, event| match event {
            tauri::RunEvent::ExitRequested { api, .. } => on_exit_requested(app, &api),
            tauri::RunEvent::Exit => {
                if let Some(bridge) = app.try_state::<Bridge>() {
                    let _ = bridge.commands.try_send(Command::Quit);
                }
            }
            _ => {}
        });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_at_login_stays_in_the_shell_and_never_reaches_the_engine() {
        assert_eq!(
            route(Command::SetStartAtLogin { on: true }),
            Route::StartAtLogin(true)
        );
        assert_eq!(
            route(Command::SetStartAtLogin { on: false }),
            Route::StartAtLogin(false)
        );
    }

    #[test]
    fn every_other_command_goes_to_the_engine_unchanged() {
        let dial = Command::Dial {
            number: "911".into(),
        };
        assert_eq!(route(dial.clone()), Route::Engine(dial));
        assert_eq!(route(Command::Snapshot), Route::Engine(Command::Snapshot));
    }
}
