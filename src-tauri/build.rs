fn main() {
    // Only the app's own commands exist for the UI; capabilities/default.json grants exactly these.
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(&["send_command", "subscribe"])),
    )
    .expect("tauri build script failed");
}
