//! Tauri's build step for the hello world.

fn main() {
    tauri_build::build();
}
