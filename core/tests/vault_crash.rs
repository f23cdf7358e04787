//! Crash safety: a writer process is killed (SIGKILL) at random points, many times; afterwards the
//! vault must open, pass `PRAGMA integrity_check`, and hold every secret whose write had returned.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail by panicking.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use harbor_core::keys::{LocalSigner, Signer};
use harbor_core::vault::{KdfParams, Vault};
use rand::Rng;

const PASSWORD: &str = "crash test password";
const CHILD_ENV: &str = "HARBOR_VAULT_CRASH_CHILD";
const ROUNDS: usize = 25;

/// The writer: adds wallets (and re-wraps the data key now and then) until it is killed, printing
/// each committed key after its write returned.
#[test]
fn crash_child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut vault = Vault::open(Path::new(&path)).unwrap();
    vault.unlock(PASSWORD).unwrap();
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        let key = LocalSigner::random().unwrap();
        let wallet = vault
            .add_private_key_wallet(&format!("crash {i}"), &key)
            .unwrap();
        writeln!(out, "{} {}", wallet.id, hex(&key.to_bytes()[..])).unwrap();
        out.flush().unwrap();
        if i % 7 == 3 {
            vault
                .change_password(PASSWORD, PASSWORD, KdfParams::LIGHT, None)
                .unwrap();
        }
        if i % 5 == 1 {
            vault.rename_account(&wallet.id, 0, "renamed").unwrap();
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn killed_writers_never_lose_committed_secrets() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.harbor");
    drop(Vault::create(&path, PASSWORD, KdfParams::LIGHT).unwrap());
    let exe = std::env::current_exe().unwrap();
    let mut committed: Vec<(String, String)> = Vec::new();
    let mut rng = rand::rng();

    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args([
                "crash_child_writer",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some((id, key)) = line.split_once(' ')
                    && id.len() == 16
                    && key.len() == 64
                {
                    lines.push((id.to_owned(), key.to_owned()));
                }
            }
            lines
        });
        std::thread::sleep(Duration::from_millis(rng.random_range(30..400)));
        child.kill().unwrap();
        child.wait().unwrap();
        let lines = reader.join().unwrap();
        committed.extend(lines);

        let mut vault = Vault::open(&path).unwrap_or_else(|e| panic!("round {round}: {e}"));
        vault
            .integrity_check()
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        vault.unlock(PASSWORD).unwrap();
        for (id, key) in &committed {
            let signer = vault
                .signer(id, 0)
                .unwrap_or_else(|e| panic!("round {round}, {id}: {e}"));
            assert_eq!(
                &hex(&signer.to_bytes()[..]),
                key,
                "round {round}: wallet {id} changed"
            );
            assert_eq!(
                signer.address(),
                LocalSigner::from_hex(key).unwrap().address()
            );
        }
    }
    assert!(
        committed.len() >= ROUNDS,
        "the writer committed only {} wallets",
        committed.len()
    );
}
