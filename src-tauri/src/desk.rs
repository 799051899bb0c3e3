//! The softphone beside the CRM: the tray icon (status, emergency mode, Show / Quit), OS notifications for
//! incoming and missed calls with Answer and Reject, the window brought forward for a call.
//!
//! What to show is decided by the pure [`TrayStatus`] and [`CallAlerts`]; this module only draws it. It is
//! owned by the UI owner task (`ui_events`), which sees every engine event first.

use lifeline_engine::api::{Command, Event};
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime, UserAttentionType};
use tauri_plugin_notification::{Action, ActionType, NotificationExt as _};
use tokio::sync::{mpsc, watch};

use crate::call_alerts::{Alert, Attention, CallAlerts, Notice, ANSWER, REJECT};
use crate::tray_status::{TrayIcon, TrayStatus};

const TRAY_ID: &str = "lifeline";
const INCOMING_ACTIONS: &str = "incoming-call";
/// The notification's `extra` key holding the engine's call id.
const CALL_KEY: &str = "call";

const ICON_REGISTERED: &[u8] = include_bytes!("../../icons/tray/registered.png");
const ICON_OFFLINE: &[u8] = include_bytes!("../../icons/tray/offline.png");
const ICON_EMERGENCY: &[u8] = include_bytes!("../../icons/tray/emergency.png");

/// The shell's tray and notifications, fed with engine events.
pub struct Desk<R: Runtime> {
    app: AppHandle<R>,
    /// The menu's status line (`None` without a tray).
    status_item: Option<MenuItem<R>>,
    /// The icon drawn now (a new icon is written to a file for the desktop: only when it changes).
    shown_icon: TrayIcon,
    tray: TrayStatus,
    alerts: CallAlerts,
    /// The microphone's mute, for the mute hotkey (it toggles).
    muted: watch::Sender<bool>,
}

/// Whether the tray icon is there: without it, closing the window still quits (the agent could not get
/// the window back otherwise).
pub struct TrayPresent(pub bool);

fn icon_bytes(icon: TrayIcon) -> &'static [u8] {
    match icon {
        TrayIcon::Registered => ICON_REGISTERED,
        TrayIcon::Offline => ICON_OFFLINE,
        TrayIcon::Emergency => ICON_EMERGENCY,
    }
}

impl<R: Runtime> Desk<R> {
    /// Sets up the tray (if the desktop has one) and the notifications' actions, which go to `commands`.
    pub fn new(
        app: &AppHandle<R>,
        commands: mpsc::Sender<Command>,
        muted: watch::Sender<bool>,
    ) -> Self {
        let tray = TrayStatus::default();
        let status_item = match build_tray(app, &tray) {
            Ok(item) => Some(item),
            Err(e) => {
                log::warn!("no tray icon: {e}; closing the window quits Lifeline");
                None
            }
        };
        app.manage(TrayPresent(status_item.is_some()));
        setup_notification_actions(app, commands);
        Self {
            app: app.clone(),
            status_item,
            shown_icon: tray.icon(),
            tray,
            alerts: CallAlerts::default(),
            muted,
        }
    }

    pub fn on_engine_event(&mut self, event: &Event) {
        if self.tray.on_event(event) {
            self.redraw_tray();
        }
        for alert in self.alerts.on_event(event) {
            self.apply(alert);
        }
        self.muted.send_if_modified(|m| {
            let now = crate::hotkeys::muted_after(event, *m);
            std::mem::replace(m, now) != now
        });
    }

    fn redraw_tray(&mut self) {
        let Some(item) = &self.status_item else {
            return;
        };
        if let Err(e) = item.set_text(self.tray.status_line()) {
            log::warn!("tray: could not update the status line: {e}");
        }
        if let Some(tray) = self.app.tray_by_id(TRAY_ID) {
            let wanted = self.tray.icon();
            if wanted != self.shown_icon {
                let icon = Image::from_bytes(icon_bytes(wanted));
                match icon.and_then(|i| tray.set_icon(Some(i))) {
                    Ok(()) => self.shown_icon = wanted,
                    Err(e) => log::warn!("tray: could not change the icon: {e}"),
                }
            }
            if let Err(e) = tray.set_tooltip(Some(self.tray.tooltip())) {
                log::warn!("tray: could not change the tooltip: {e}");
            }
        }
    }

    fn apply(&self, alert: Alert) {
        match alert {
            Alert::Raise { focus, attention } => raise_window(&self.app, focus, attention),
            Alert::Notify(notice) => self.notify(notice),
            Alert::Withdraw { id } => {
                if let Err(e) = self.app.notification().remove_active(vec![id]) {
                    log::warn!("could not withdraw a notification: {e}");
                }
            }
        }
    }

    fn notify(&self, n: Notice) {
        // Never the body in the log: it may name the caller.
        log::info!("notification: {:?}", n.kind);
        let mut b = self
            .app
            .notification()
            .builder()
            .id(n.id)
            .title(n.title)
            .body(n.body)
            .extra(CALL_KEY, n.call);
        if n.actions {
            b = b.action_type_id(INCOMING_ACTIONS);
        }
        if let Err(e) = b.show() {
            log::warn!("could not show a notification: {e}");
        }
    }
}

/// Show the window (it may be hidden in the tray or minimised), optionally focus it, and ask for attention.
pub fn raise_window<R: Runtime>(app: &AppHandle<R>, focus: bool, attention: Attention) {
    let Some(w) = app.get_webview_window("main") else {
        return;
    };
    let _ = w.unminimize();
    if let Err(e) = w.show() {
        log::warn!("could not show the window: {e}");
    }
    if focus {
        if let Err(e) = w.set_focus() {
            log::warn!("could not bring the window to the front: {e}");
        }
    }
    let kind = match attention {
        Attention::Informational => UserAttentionType::Informational,
        Attention::Critical => UserAttentionType::Critical,
    };
    if let Err(e) = w.request_user_attention(Some(kind)) {
        log::warn!("could not request attention: {e}");
    }
}

fn build_tray<R: Runtime>(app: &AppHandle<R>, tray: &TrayStatus) -> Result<MenuItem<R>, String> {
    let show = MenuItem::with_id(app, "show", "Show Lifeline", true, None::<&str>)
        .map_err(|e| e.to_string())?;
    let status = MenuItem::with_id(app, "status", tray.status_line(), false, None::<&str>)
        .map_err(|e| e.to_string())?;
    let sep = PredefinedMenuItem::separator(app).map_err(|e| e.to_string())?;
    let quit = MenuItem::with_id(app, "quit", "Quit Lifeline", true, None::<&str>)
        .map_err(|e| e.to_string())?;
    let menu = Menu::with_items(app, &[&show, &status, &sep, &quit]).map_err(|e| e.to_string())?;
    let icon = Image::from_bytes(icon_bytes(tray.icon())).map_err(|e| e.to_string())?;
    let builder = TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon)
        .tooltip(tray.tooltip())
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().0.as_str() {
            "show" => raise_window(app, true, Attention::Informational),
            "quit" => crate::quit_from_tray(app),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                raise_window(tray.app_handle(), true, Attention::Informational);
            }
        });
    // Linux: the tray needs libayatana-appindicator3 (or libappindicator3), which the tray crate loads at
    // run time and panics without; a desktop without it gets no tray, not a crash.
    let app2 = app.clone();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || builder.build(&app2)))
        .map_err(|_| "the desktop's tray library (libayatana-appindicator3) is missing".to_owned())?
        .map_err(|e| e.to_string())?;
    Ok(status)
}

fn setup_notification_actions<R: Runtime>(app: &AppHandle<R>, commands: mpsc::Sender<Command>) {
    let n = app.notification();
    let types = vec![ActionType::builder(INCOMING_ACTIONS)
        .actions(vec![
            Action::builder(ANSWER, "Answer").build(),
            Action::builder(REJECT, "Reject").build(),
        ])
        .build()];
    if let Err(e) = n.register_action_types(types) {
        log::warn!("notification actions unavailable: {e}");
    }
    let handle = app.clone();
    let registered = n.on_action(move |performed| {
        let call = performed
            .notification()
            .and_then(|n| n.extra().get(CALL_KEY))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let command = match performed.action_id() {
            ANSWER => Some(Command::Answer { call }),
            REJECT => Some(Command::Reject { call }),
            _ => None,
        };
        log::info!("notification action: {}", performed.action_id());
        // Any click on a call's notification brings the window forward: the agent wants to see the call.
        raise_window(&handle, true, Attention::Informational);
        if let Some(cmd) = command {
            if commands.try_send(cmd).is_err() {
                log::warn!("a notification's action could not reach the engine");
            }
        }
    });
    if let Err(e) = registered {
        log::warn!("notification actions unavailable: {e}");
    }
}
