//! Harbor desktop's entry point.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Some(path) = std::env::args()
        .skip_while(|a| a != "--export-bindings")
        .nth(1)
    {
        if let Err(e) = harbor_desktop::export_bindings(std::path::Path::new(&path)) {
            eprintln!("cannot write the TypeScript bindings: {e}");
            std::process::exit(1);
        }
        return;
    }
    if let Err(e) = harbor_desktop::run() {
        eprintln!("Harbor could not start: {e}");
        std::process::exit(1);
    }
}
