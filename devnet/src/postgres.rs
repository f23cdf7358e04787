//! A throwaway PostgreSQL server for tests and benchmarks: Debian's server binaries, a cluster
//! made in a temporary directory, listening on 127.0.0.1 only, run as an unprivileged user (the
//! server refuses root; as root it runs as `postgres` through `runuser`), stopped and deleted on
//! drop.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{DevnetError, free_port};

/// A PostgreSQL server of its own; stopped and deleted when dropped.
#[derive(Debug)]
pub struct TempPostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    run_as: Option<&'static str>,
}

/// The newest installed server's `bin` directory (`HARBOR_PG_BIN` overrides it).
fn server_bin() -> Result<PathBuf, DevnetError> {
    if let Some(dir) = std::env::var_os("HARBOR_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| DevnetError::MissingTool(PathBuf::from("/usr/lib/postgresql/*/bin/initdb (Debian package postgresql; `cargo xtask test` installs it)")))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl TempPostgres {
    /// Starts a server; `durable` keeps PostgreSQL's crash safety (fsync, synchronous commit) as
    /// a production server has it, otherwise both are off for speed.
    pub fn start(durable: bool) -> Result<TempPostgres, DevnetError> {
        let bin = server_bin()?;
        let run_as = is_root().then_some("postgres");
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir =
            std::env::temp_dir().join(format!("harbor-pg-{}-{started:x}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| DevnetError::Io {
            path: dir.clone(),
            message: e.to_string(),
        })?;
        let server = TempPostgres {
            dir,
            bin,
            port: free_port()?,
            run_as,
        };
        if let Some(user) = run_as {
            server.run(Command::new("chown").args([user, &server.dir.to_string_lossy()]))?;
        }
        let data = server.dir.join("data");
        server.run(server.as_user("initdb").args([
            "-D",
            &data.to_string_lossy(),
            "-U",
            "harbor",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]))?;
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            server.port,
            server.dir.display()
        );
        if !durable {
            options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        server.run(server.as_user("pg_ctl").args([
            "-D",
            &data.to_string_lossy(),
            "-l",
            &server.dir.join("server.log").to_string_lossy(),
            "-o",
            &options,
            "-w",
            "-t",
            "60",
            "start",
        ]))?;
        Ok(server)
    }

    /// The URL of a new, empty database `name` on this server.
    pub fn database(&self, name: &str) -> Result<String, DevnetError> {
        self.run(self.as_user("createdb").args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "harbor",
            name,
        ]))?;
        Ok(format!("postgres://harbor@127.0.0.1:{}/{name}", self.port))
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's log (for a failing test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    fn as_user(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(path);
                command
            }
            None => Command::new(path),
        }
    }

    fn run(&self, command: &mut Command) -> Result<(), DevnetError> {
        let output = command
            .stdin(Stdio::null())
            .current_dir(&self.dir)
            .output()
            .map_err(|e| DevnetError::Command {
                command: format!("{command:?}"),
                message: e.to_string(),
            })?;
        if output.status.success() {
            Ok(())
        } else {
            Err(DevnetError::Command {
                command: format!("{command:?}"),
                message: String::from_utf8_lossy(&output.stderr).into_owned(),
            })
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .as_user("pg_ctl")
            .args([
                "-D",
                &data.to_string_lossy(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        remove(&self.dir);
    }
}

fn remove(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}
