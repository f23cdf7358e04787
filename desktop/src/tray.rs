//! The tray icon: with it Harbor keeps running once its window is closed, so recovery alerts and
//! dApp requests still reach the person; without it closing the window quits as before.

use std::sync::atomic::{AtomicBool, Ordering};

use tauri::menu::{Menu, MenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager};

use crate::dto::AppLanguage;

/// The tray's identifier.
const TRAY: &str = "main";

/// Whether the tray icon is up (managed state): the window then hides instead of quitting.
#[derive(Debug, Default)]
pub(crate) struct TrayState {
    installed: AtomicBool,
    /// Whether the person was told, this run, that Harbor keeps running in the tray.
    told: AtomicBool,
}

/// Whether this desktop can show a tray icon (Linux loads libayatana-appindicator at run time,
/// and Tauri panics when it is absent).
fn available() -> bool {
    #[cfg(target_os = "linux")]
    {
        ["libayatana-appindicator3.so.1", "libappindicator3.so.1"]
            .iter()
            .any(|name| dlopen2::raw::Library::open(name).is_ok())
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

/// The tray menu's words: open, quit.
fn labels(language: AppLanguage) -> (&'static str, &'static str) {
    match language {
        AppLanguage::En => ("Open Harbor", "Quit Harbor"),
        AppLanguage::ZhHans => ("打开 Harbor", "退出 Harbor"),
        AppLanguage::ZhHant => ("打開 Harbor", "結束 Harbor"),
    }
}

/// What the person is told the first time the window closes into the tray (title, body).
pub(crate) fn still_running(language: AppLanguage) -> (&'static str, &'static str) {
    match language {
        AppLanguage::En => (
            "Harbor is still running",
            "It keeps watching for recoveries of your account and for sites asking to sign. Quit from the tray icon.",
        ),
        AppLanguage::ZhHans => (
            "Harbor 仍在运行",
            "它会继续留意针对你账户的恢复请求和网站的签名请求。可从托盘图标退出。",
        ),
        AppLanguage::ZhHant => (
            "Harbor 仍在執行",
            "它會繼續留意針對你帳戶的恢復請求和網站的簽署請求。可從系統匣圖示結束。",
        ),
    }
}

/// Brings the main window up (from the tray, an alert or a waiting dApp).
pub(crate) fn show_main(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

fn menu(app: &AppHandle, language: AppLanguage) -> tauri::Result<Menu<tauri::Wry>> {
    let (open, quit) = labels(language);
    let open = MenuItem::with_id(app, "open", open, true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", quit, true, None::<&str>)?;
    Menu::with_items(app, &[&open, &quit])
}

/// Adds the tray icon when the desktop can show one; records whether it did.
pub(crate) fn install(app: &AppHandle, language: AppLanguage) {
    let state = app.state::<TrayState>();
    if !available() {
        tracing::info!(
            "no tray on this desktop (libayatana-appindicator3 is not installed): closing the window quits Harbor"
        );
        return;
    }
    let built = menu(app, language).and_then(|menu| {
        let mut builder = TrayIconBuilder::with_id(TRAY)
            .menu(&menu)
            .tooltip("Harbor")
            .on_menu_event(|app, event| match event.id.as_ref() {
                "open" => show_main(app),
                "quit" => app.exit(0),
                _ => {}
            })
            .on_tray_icon_event(|tray, event| {
                if let TrayIconEvent::Click {
                    button: MouseButton::Left,
                    button_state: MouseButtonState::Up,
                    ..
                } = event
                {
                    show_main(tray.app_handle());
                }
            });
        if let Some(icon) = app.default_window_icon() {
            builder = builder.icon(icon.clone());
        }
        builder.build(app)
    });
    match built {
        Ok(_) => {
            state.installed.store(true, Ordering::SeqCst);
            tracing::info!("tray icon added: closing the window keeps Harbor running");
        }
        Err(error) => tracing::warn!(%error, "the tray icon could not be added"),
    }
}

/// Words the tray menu in `language` (after the settings changed).
pub(crate) fn relabel(app: &AppHandle, language: AppLanguage) {
    if let Some(tray) = app.tray_by_id(TRAY)
        && let Ok(menu) = menu(app, language)
    {
        let _ = tray.set_menu(Some(menu));
    }
}

/// With the tray up, closing the main window hides it (Harbor keeps running) and, the first time
/// in a run, says so in a system notification; without it the window closes and Harbor quits.
pub(crate) fn close_requested(
    window: &tauri::Window,
    api: &tauri::CloseRequestApi,
    language: AppLanguage,
) {
    let app = window.app_handle();
    let Some(state) = app.try_state::<TrayState>() else {
        return;
    };
    if window.label() != "main" || !state.installed.load(Ordering::SeqCst) {
        return;
    }
    api.prevent_close();
    let _ = window.hide();
    if !state.told.swap(true, Ordering::SeqCst) {
        let (title, body) = still_running(language);
        crate::notify(app, title, body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_its_own_words() {
        let all = [AppLanguage::En, AppLanguage::ZhHans, AppLanguage::ZhHant];
        let mut seen = std::collections::HashSet::new();
        for language in all {
            let (open, quit) = labels(language);
            let (title, body) = still_running(language);
            for text in [open, quit, title, body] {
                assert!(seen.insert(text), "{text:?} is used twice");
            }
            assert!(open.contains("Harbor") && quit.contains("Harbor"));
        }
    }
}
