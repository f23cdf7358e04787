//! Finding the Harbor checkout at run time.
//!
//! Never from a path compiled into the binary: CI shares one target directory between clones, and
//! a binary cargo considers fresh may have been built from another clone's sources.

use std::path::{Path, PathBuf};

use crate::DevnetError;

/// The root of the Harbor checkout this process works in: the nearest directory, from the current
/// directory upwards, that holds the workspace `Cargo.toml` and `xtask/`; failing that, the same
/// search from `CARGO_MANIFEST_DIR` as cargo sets it for the running test or program.
pub fn repo_root() -> Result<PathBuf, DevnetError> {
    let from_cwd = std::env::current_dir().ok();
    let from_manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    from_cwd
        .iter()
        .chain(from_manifest.iter())
        .find_map(|start| find_root_from(start))
        .ok_or(DevnetError::NoCheckout)
}

/// The nearest Harbor checkout root at or above `start`.
pub fn find_root_from(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| is_root(dir))
        .map(Path::to_path_buf)
}

fn is_root(dir: &Path) -> bool {
    dir.join("xtask/Cargo.toml").is_file()
        && dir.join("devnet/Cargo.toml").is_file()
        && std::fs::read_to_string(dir.join("Cargo.toml"))
            .is_ok_and(|text| text.lines().any(|line| line.trim() == "[workspace]"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn finds_the_checkout_from_any_folder_inside_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("clone");
        for sub in ["xtask", "devnet", "core/src"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        std::fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        std::fs::write(root.join("xtask/Cargo.toml"), "").unwrap();
        std::fs::write(root.join("devnet/Cargo.toml"), "").unwrap();
        assert_eq!(find_root_from(&root.join("core/src")), Some(root.clone()));
        assert_eq!(find_root_from(&root), Some(root.clone()));
        // A folder outside any checkout has none.
        assert_eq!(find_root_from(dir.path()), None);
    }

    #[test]
    fn a_member_manifest_is_not_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("xtask")).unwrap();
        std::fs::create_dir_all(dir.path().join("devnet")).unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
        std::fs::write(dir.path().join("xtask/Cargo.toml"), "").unwrap();
        std::fs::write(dir.path().join("devnet/Cargo.toml"), "").unwrap();
        assert_eq!(find_root_from(dir.path()), None);
    }
}
