//! The vault's SQLite schema and its migrations.

use rusqlite::{Connection, TransactionBehavior};

use super::VaultError;

/// Each migration brings the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE meta (
         key   TEXT PRIMARY KEY NOT NULL,
         value TEXT NOT NULL
     ) STRICT;
     CREATE TABLE unlock_keys (
         kind       TEXT PRIMARY KEY NOT NULL,
         kdf        TEXT,
         salt       BLOB,
         wrapped    BLOB NOT NULL,
         updated_at INTEGER NOT NULL
     ) STRICT;
     CREATE TABLE wallets (
         id         TEXT PRIMARY KEY NOT NULL,
         name       TEXT NOT NULL,
         kind       TEXT NOT NULL CHECK (kind IN ('mnemonic', 'private_key')),
         secret     BLOB NOT NULL,
         created_at INTEGER NOT NULL
     ) STRICT;
     CREATE TABLE accounts (
         wallet_id TEXT NOT NULL REFERENCES wallets(id) ON DELETE CASCADE,
         idx       INTEGER NOT NULL CHECK (idx >= 0),
         name      TEXT NOT NULL,
         address   TEXT NOT NULL,
         path      TEXT,
         PRIMARY KEY (wallet_id, idx)
     ) STRICT;
     CREATE TABLE chains (
         chain_id   INTEGER PRIMARY KEY NOT NULL,
         definition TEXT NOT NULL
     ) STRICT;",
    // 2: guardian names and recoveries in progress.
    "CREATE TABLE guardians (
         account TEXT NOT NULL,
         address TEXT NOT NULL,
         name    TEXT NOT NULL,
         kind    TEXT NOT NULL,
         PRIMARY KEY (account, address)
     ) STRICT;
     CREATE TABLE recoveries (
         id         TEXT PRIMARY KEY NOT NULL,
         account    TEXT NOT NULL,
         state      TEXT NOT NULL,
         updated_at INTEGER NOT NULL
     ) STRICT;",
    // 3: the activity list.
    "CREATE TABLE activity (
         id         TEXT PRIMARY KEY NOT NULL,
         chain_id   INTEGER NOT NULL,
         account    TEXT NOT NULL,
         entry      TEXT NOT NULL,
         created_at INTEGER NOT NULL
     ) STRICT;
     CREATE INDEX activity_by_account ON activity (account, created_at);",
    // 4: the address book (named contacts and past recipients).
    "CREATE TABLE contacts (
         address      TEXT PRIMARY KEY NOT NULL,
         name         TEXT,
         last_sent_at INTEGER
     ) STRICT;",
    // 5: sites connected to an account (EIP-1193 sessions), batches they sent (EIP-5792) and
    // tokens they suggested (EIP-747).
    "CREATE TABLE dapp_sessions (
         origin     TEXT PRIMARY KEY NOT NULL,
         account    TEXT NOT NULL,
         chain_id   INTEGER NOT NULL,
         granted_at INTEGER NOT NULL
     ) STRICT;
     CREATE TABLE dapp_batches (
         origin       TEXT NOT NULL,
         id           TEXT NOT NULL,
         chain_id     INTEGER NOT NULL,
         account      TEXT NOT NULL,
         user_op_hash TEXT,
         created_at   INTEGER NOT NULL,
         PRIMARY KEY (origin, id)
     ) STRICT;
     CREATE TABLE watched_tokens (
         chain_id INTEGER NOT NULL,
         address  TEXT NOT NULL,
         symbol   TEXT NOT NULL,
         decimals INTEGER NOT NULL,
         PRIMARY KEY (chain_id, address)
     ) STRICT;",
    // 6: programs paired with the app's local provider (browser extensions, scripts); only a
    // hash of each token is kept.
    "CREATE TABLE paired_clients (
         id         TEXT PRIMARY KEY NOT NULL,
         name       TEXT NOT NULL,
         kind       TEXT NOT NULL,
         token_hash TEXT NOT NULL UNIQUE,
         created_at INTEGER NOT NULL
     ) STRICT;",
    // 7: gas sponsors added by their profile link (the profile as read when added).
    "CREATE TABLE sponsors (
         link         TEXT PRIMARY KEY NOT NULL,
         profile      TEXT NOT NULL,
         added_at     INTEGER NOT NULL,
         alerts_after INTEGER NOT NULL DEFAULT 0
     ) STRICT;",
];

/// The schema version this build writes.
pub(crate) const CURRENT_VERSION: i64 = MIGRATIONS.len() as i64;

/// Sets the connection's durability pragmas: WAL, full fsync on commit, foreign keys.
pub(crate) fn configure(conn: &Connection) -> Result<(), VaultError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(VaultError::Storage(format!(
            "the database refused WAL mode ({mode})"
        )));
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    Ok(())
}

/// The stored schema version.
pub(crate) fn version(conn: &Connection) -> Result<i64, VaultError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Applies every missing migration, each in its own transaction together with its version bump.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), VaultError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > CURRENT_VERSION {
            return Err(VaultError::TooNew {
                found,
                supported: CURRENT_VERSION,
            });
        }
        let Some(step) = usize::try_from(found).ok().and_then(|i| MIGRATIONS.get(i)) else {
            return Ok(());
        };
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", found + 1)?;
        tx.commit()?;
        tracing::info!(version = found + 1, "vault schema migrated");
    }
}
