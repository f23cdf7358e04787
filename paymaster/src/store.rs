//! The relay's state in SQLite: sponsorship reservations, usage counters per window, relayed
//! UserOperations and how far each chain's logs were read.
//!
//! Every change that must stay consistent happens in one `BEGIN IMMEDIATE` transaction, so
//! concurrent requests (and several relay processes on one file) never overspend a limit.

use std::path::Path;
use std::sync::Mutex;

use alloy_primitives::B256;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

mod writer;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored number is corrupt.
    #[error("database holds an invalid amount: {0}")]
    Corrupt(String),
    /// The database lock was poisoned by a panic.
    #[error("the database lock is poisoned")]
    Poisoned,
    /// The writer thread could not be started.
    #[error("cannot start the database writer: {0}")]
    Thread(String),
    /// The writer thread is gone (the relay is stopping).
    #[error("the database writer has stopped")]
    WriterStopped,
    /// A group of reservations could not be committed (none of them is reserved).
    #[error("the reservations were not committed: {0}")]
    NotCommitted(String),
    /// The database was written by a newer relay.
    #[error("the database has schema version {found}; this relay knows up to {SCHEMA_VERSION}")]
    TooNew {
        /// The version found.
        found: i64,
    },
}

/// A limit that stopped a reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitReached {
    /// Operations per sender in this window.
    SenderOps {
        /// The limit.
        limit: u64,
    },
    /// Operations in total in this window.
    TotalOps {
        /// The limit.
        limit: u64,
    },
    /// Wei per sender in this window.
    SenderSpend {
        /// The limit.
        limit: u128,
        /// Already used or reserved.
        used: u128,
    },
    /// Wei in total in this window.
    TotalSpend {
        /// The limit.
        limit: u128,
        /// Already used or reserved.
        used: u128,
    },
    /// Sponsorships signed for this account and not used yet.
    OpenPerSender {
        /// The limit.
        limit: u64,
    },
    /// Sponsorships signed for this client and not used yet.
    OpenPerClient {
        /// The limit.
        limit: u64,
    },
}

/// The limits a reservation is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Operations per sender per window.
    pub ops_per_sender: u64,
    /// Operations per window.
    pub ops_total: u64,
    /// Wei per sender per window.
    pub spend_per_sender: u128,
    /// Wei per window.
    pub spend_total: u128,
    /// Unused sponsorships per sender at once.
    pub open_per_sender: u64,
    /// Unused sponsorships per client at once.
    pub open_per_client: u64,
}

/// A sponsorship about to be signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// App name.
    pub app: String,
    /// Chain id.
    pub chain_id: u64,
    /// The account (checksummed hex).
    pub sender: String,
    /// The operation's nonce (hex).
    pub nonce: String,
    /// Start of the limit window (unix seconds).
    pub window_start: u64,
    /// Worst-case cost in wei.
    pub max_cost: u128,
    /// Chain time after which the signature is useless.
    pub valid_until: u64,
    /// Who asked (the client's network address), for per-client limits.
    pub client: String,
}

/// Totals of sponsorships for one chain (for metrics and consistency checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Reservations still open.
    pub reserved: u64,
    /// Settled from receipts.
    pub settled: u64,
    /// Released unused.
    pub released: u64,
    /// Wei reserved by open reservations.
    pub reserved_wei: u128,
    /// Wei actually paid (settled).
    pub settled_wei: u128,
}

/// A UserOperation the relay submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayedOp {
    /// Its hash.
    pub hash: String,
    /// Chain id.
    pub chain_id: u64,
    /// The operation as JSON (RPC form).
    pub op_json: String,
    /// Bundle transaction hash.
    pub tx_hash: String,
    /// Relayer nonce used.
    pub tx_nonce: u64,
    /// Fee cap of the bundle transaction.
    pub max_fee: u128,
    /// Tip of the bundle transaction.
    pub priority_fee: u128,
    /// Unix seconds of the (last) submission.
    pub submitted_at: u64,
    /// The receipt JSON, once included.
    pub receipt_json: Option<String>,
    /// The operation's sender (checksummed hex).
    pub sender: String,
    /// The operation's nonce (hex).
    pub nonce: String,
    /// `pending`, `included`, `failed` (included, not executed) or `dropped` (never included).
    pub status: String,
}

/// What the relay saw of an entity (an account, factory or paymaster): operations submitted,
/// included, and failed on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reputation {
    /// Submitted in bundles.
    pub seen: u64,
    /// Included and executed.
    pub included: u64,
    /// Failed on chain (the bundle reverted or the operation did not execute).
    pub failed: u64,
}

/// Failures on chain after which an entity is refused (until the day's counts reset).
pub const BAN_AFTER_FAILURES: u64 = 3;

impl Reputation {
    /// Whether the entity is banned.
    pub fn banned(&self) -> bool {
        self.failed >= BAN_AFTER_FAILURES
    }
}

/// The SQLite store.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    writer: writer::Writer,
    /// Apps told of their sponsorships' events through their webhook.
    notified: Notified,
}

/// The apps whose sponsorship events are recorded for their webhook (shared with the writer).
pub(crate) type Notified = std::sync::Arc<std::sync::RwLock<std::collections::BTreeSet<String>>>;

fn is_notified(notified: &Notified, app: &str) -> bool {
    notified
        .read()
        .map(|apps| apps.contains(app))
        .unwrap_or(false)
}

/// Each migration brings the schema from version `index` to `index + 1` (`PRAGMA user_version`).
const MIGRATIONS: &[&str] = &[
    // 1: the first schema (`IF NOT EXISTS`: files made before versioning already have it).
    "CREATE TABLE IF NOT EXISTS sponsorships (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        app TEXT NOT NULL,
        chain_id INTEGER NOT NULL,
        sender TEXT NOT NULL,
        nonce TEXT NOT NULL,
        window_start INTEGER NOT NULL,
        max_cost TEXT NOT NULL,
        valid_until INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('reserved', 'settled', 'released')),
        actual_cost TEXT,
        user_op_hash TEXT,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS sponsorships_open ON sponsorships (chain_id, status, valid_until);
    CREATE INDEX IF NOT EXISTS sponsorships_op ON sponsorships (chain_id, sender, nonce);
    CREATE TABLE IF NOT EXISTS usage (
        app TEXT NOT NULL,
        chain_id INTEGER NOT NULL,
        scope TEXT NOT NULL,
        window_start INTEGER NOT NULL,
        ops INTEGER NOT NULL,
        spend TEXT NOT NULL,
        PRIMARY KEY (app, chain_id, scope, window_start)
    );
    CREATE TABLE IF NOT EXISTS user_ops (
        hash TEXT PRIMARY KEY,
        chain_id INTEGER NOT NULL,
        op TEXT NOT NULL,
        tx_hash TEXT NOT NULL,
        tx_nonce INTEGER NOT NULL,
        max_fee TEXT NOT NULL,
        priority_fee TEXT NOT NULL,
        submitted_at INTEGER NOT NULL,
        receipt TEXT
    );
    CREATE TABLE IF NOT EXISTS chain_state (
        chain_id INTEGER PRIMARY KEY,
        last_block INTEGER NOT NULL
    );",
    // 2: per-client limits, settlement blocks and hashes (reorgs), operations by sender and
    // nonce, reputation.
    "ALTER TABLE sponsorships ADD COLUMN client TEXT NOT NULL DEFAULT '';
    ALTER TABLE sponsorships ADD COLUMN settled_block INTEGER;
    CREATE INDEX sponsorships_client ON sponsorships (chain_id, status, client);
    ALTER TABLE user_ops ADD COLUMN sender TEXT NOT NULL DEFAULT '';
    ALTER TABLE user_ops ADD COLUMN nonce TEXT NOT NULL DEFAULT '';
    ALTER TABLE user_ops ADD COLUMN status TEXT NOT NULL DEFAULT 'pending';
    UPDATE user_ops SET status = 'included' WHERE receipt IS NOT NULL;
    CREATE INDEX user_ops_by_nonce ON user_ops (chain_id, sender, nonce, status);
    CREATE TABLE blocks (
        chain_id INTEGER NOT NULL,
        number INTEGER NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (chain_id, number)
    );
    CREATE TABLE reputation (
        chain_id INTEGER NOT NULL,
        entity TEXT NOT NULL,
        seen INTEGER NOT NULL,
        included INTEGER NOT NULL,
        failed INTEGER NOT NULL,
        day INTEGER NOT NULL,
        PRIMARY KEY (chain_id, entity)
    );",
    // 3: recovery alerts: accounts registered per app, how far each chain was read, the events
    // (one per app and log: exactly once) and their webhook deliveries.
    "CREATE TABLE alert_accounts (
        app TEXT NOT NULL,
        chain_id INTEGER NOT NULL,
        account TEXT NOT NULL,
        registered_at INTEGER NOT NULL,
        PRIMARY KEY (app, chain_id, account)
    );
    CREATE TABLE alert_state (
        chain_id INTEGER PRIMARY KEY,
        last_block INTEGER NOT NULL
    );
    CREATE TABLE alert_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        app TEXT NOT NULL,
        chain_id INTEGER NOT NULL,
        account TEXT NOT NULL,
        tx_hash TEXT NOT NULL,
        log_index INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (app, chain_id, tx_hash, log_index)
    );
    CREATE TABLE alert_outbox (
        event_id INTEGER PRIMARY KEY REFERENCES alert_events(id),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        delivered_at INTEGER,
        last_error TEXT
    );
    CREATE INDEX alert_outbox_due ON alert_outbox (delivered_at, next_at);",
    // 4: indexes for the lookups on every request and every settled event, which scanned all
    // of a chain's open (or all of its) sponsorships and slowed down as they grew.
    "CREATE INDEX sponsorships_sender_open ON sponsorships (chain_id, sender, status, nonce);
    CREATE INDEX sponsorships_by_hash ON sponsorships (chain_id, user_op_hash);",
    // 5: events for the operator (sponsored, included, failed, budget threshold) share the
    // alerts' table and outbox, and are not served to wallets.
    "ALTER TABLE alert_events ADD COLUMN operator INTEGER NOT NULL DEFAULT 0;",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew { found });
        }
        let Some(step) = usize::try_from(found).ok().and_then(|i| MIGRATIONS.get(i)) else {
            return Ok(());
        };
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", found + 1)?;
        tx.commit()?;
    }
}

const GLOBAL_SCOPE: &str = "*";

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn wei(text: &str) -> Result<u128, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(text.chars().take(40).collect()))
}

fn usage(
    tx: &Connection,
    app: &str,
    chain_id: u64,
    scope: &str,
    window: u64,
) -> Result<(u64, u128), StoreError> {
    let row: Option<(i64, String)> = tx
        .prepare_cached(
            "SELECT ops, spend FROM usage WHERE app = ?1 AND chain_id = ?2 AND scope = ?3 AND window_start = ?4",
        )?
        .query_row(params![app, chain_id as i64, scope, window as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    match row {
        Some((ops, spend)) => Ok((ops.max(0) as u64, wei(&spend)?)),
        None => Ok((0, 0)),
    }
}

/// Adds `ops` and `spend` (may be negative) to a usage counter.
fn adjust(
    tx: &Connection,
    app: &str,
    chain_id: u64,
    scope: &str,
    window: u64,
    ops: i64,
    spend: i128,
) -> Result<(), StoreError> {
    let (old_ops, old_spend) = usage(tx, app, chain_id, scope, window)?;
    let new_ops = (old_ops as i64 + ops).max(0);
    let new_spend = (old_spend as i128 + spend).max(0) as u128;
    put_usage(tx, app, chain_id, scope, window, new_ops, new_spend)
}

/// Sets a usage counter.
fn put_usage(
    tx: &Connection,
    app: &str,
    chain_id: u64,
    scope: &str,
    window: u64,
    ops: i64,
    spend: u128,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO usage (app, chain_id, scope, window_start, ops, spend) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (app, chain_id, scope, window_start) DO UPDATE SET ops = ?5, spend = ?6",
    )?
    .execute(params![app, chain_id as i64, scope, window as i64, ops, spend.to_string()])?;
    Ok(())
}

/// A connection to the database at `path`, set up as every connection of the store is.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    // WAL + NORMAL: durable across process crashes (the failure the relay must survive);
    // a power loss may drop the last transactions, which the log scan then replays.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // The writer's checkpoint thread copies the WAL back, never a request's commit.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

impl Store {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = connect(path)?;
        migrate(&mut conn)?;
        let notified = Notified::default();
        Ok(Store {
            conn: Mutex::new(conn),
            writer: writer::Writer::start(path, notified.clone())?,
            notified,
        })
    }

    /// Records the sponsorship events (sponsored, included, failed, budget threshold) of these
    /// apps for their webhooks.
    pub fn notify_apps(&self, apps: std::collections::BTreeSet<String>) {
        if let Ok(mut notified) = self.notified.write() {
            *notified = apps;
        }
    }

    /// Runs the reads of `f` in one deferred transaction: a consistent snapshot that never
    /// takes (or waits for) the write lock.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(TransactionBehavior::Deferred, f)
    }

    /// Runs `f` in one immediate transaction.
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(TransactionBehavior::Immediate, f)
    }

    fn transaction<T>(
        &self,
        behavior: TransactionBehavior,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.lock().map_err(|_| StoreError::Poisoned)?;
        let tx = conn.transaction_with_behavior(behavior)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Usage (operations, wei) of `scope` (a sender, or `None` for the app's total) now.
    pub fn usage(
        &self,
        app: &str,
        chain_id: u64,
        sender: Option<&str>,
        window: u64,
    ) -> Result<(u64, u128), StoreError> {
        self.read(|tx| usage(tx, app, chain_id, sender.unwrap_or(GLOBAL_SCOPE), window))
    }

    /// Checks `limits` for one more operation of `cost` wei without reserving anything.
    pub fn check(
        &self,
        reservation: &Reservation,
        limits: &Limits,
    ) -> Result<Option<LimitReached>, StoreError> {
        self.read(|tx| check(tx, reservation, limits))
    }

    /// Atomically checks the limits and reserves the sponsorship; returns its id. An unused
    /// sponsorship for the same sender and nonce is replaced (only one of them can ever be
    /// used), keeping the higher of the two costs reserved.
    pub fn reserve(
        &self,
        reservation: &Reservation,
        limits: &Limits,
    ) -> Result<Result<i64, LimitReached>, StoreError> {
        let notify = is_notified(&self.notified, &reservation.app);
        self.with(|tx| reserve_in(tx, reservation, limits, notify))
    }

    /// [`Self::reserve`] through the writer thread: committed together with the reservations
    /// that arrived meanwhile (each in its own savepoint, so one failing leaves the others), and
    /// answered only once committed. Never blocks an async worker.
    pub async fn reserve_grouped(
        &self,
        reservation: Reservation,
        limits: Limits,
    ) -> Result<Result<i64, LimitReached>, StoreError> {
        self.writer.reserve(reservation, limits).await
    }

    /// Records the UserOperationEvents of blocks up to `last_block` (whose hash is
    /// `last_hash`) in one transaction: each event settles its reservation, and the block's hash
    /// is kept (the last `keep` of them) to notice a reorganisation later.
    pub fn settle_range(
        &self,
        chain_id: u64,
        events: &[SettledEvent],
        last_block: u64,
        last_hash: B256,
        keep: u64,
    ) -> Result<usize, StoreError> {
        self.with(|tx| {
            let mut settled = 0;
            for event in events {
                if settle_one(tx, chain_id, event, &self.notified)? {
                    settled += 1;
                }
            }
            tx.execute(
                "INSERT INTO chain_state (chain_id, last_block) VALUES (?1, ?2)
                 ON CONFLICT (chain_id) DO UPDATE SET last_block = ?2",
                params![chain_id as i64, last_block as i64],
            )?;
            tx.execute(
                "INSERT OR REPLACE INTO blocks (chain_id, number, hash) VALUES (?1, ?2, ?3)",
                params![chain_id as i64, last_block as i64, last_hash.to_string()],
            )?;
            tx.execute(
                "DELETE FROM blocks WHERE chain_id = ?1 AND number < ?2",
                params![chain_id as i64, last_block.saturating_sub(keep) as i64],
            )?;
            Ok(settled)
        })
    }

    /// Block numbers and hashes the watcher read up to, newest first.
    pub fn recent_blocks(&self, chain_id: u64) -> Result<Vec<(u64, B256)>, StoreError> {
        self.read(|tx| {
            let mut stmt = tx.prepare(
                "SELECT number, hash FROM blocks WHERE chain_id = ?1 ORDER BY number DESC",
            )?;
            let rows = stmt.query_map(params![chain_id as i64], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (number, hash) = row?;
                out.push((
                    number as u64,
                    hash.parse()
                        .map_err(|_| StoreError::Corrupt(hash.clone()))?,
                ));
            }
            Ok(out)
        })
    }

    /// Undoes what blocks after `fork` settled (a reorganisation replaced them): their
    /// sponsorships are reserved again, and the watcher reads on from `fork + 1`. Returns how
    /// many settlements were undone.
    pub fn rollback(&self, chain_id: u64, fork: u64) -> Result<usize, StoreError> {
        self.with(|tx| {
            let undone: Vec<(i64, String, String, i64, String, String)> = {
                let mut stmt = tx.prepare(
                    "SELECT id, app, sender, window_start, max_cost, actual_cost FROM sponsorships
                     WHERE chain_id = ?1 AND status = 'settled' AND settled_block > ?2",
                )?;
                stmt.query_map(params![chain_id as i64, fork as i64], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    ))
                })?
                .collect::<Result<_, _>>()?
            };
            for (id, app, sender, window, max_cost, actual) in &undone {
                let delta = wei(max_cost)? as i128 - wei(actual)? as i128;
                for scope in [sender.as_str(), GLOBAL_SCOPE] {
                    adjust(tx, app, chain_id, scope, *window as u64, 0, delta)?;
                }
                tx.execute(
                    "UPDATE sponsorships SET status = 'reserved', actual_cost = NULL,
                     user_op_hash = NULL, settled_block = NULL WHERE id = ?1",
                    params![id],
                )?;
            }
            tx.execute(
                "DELETE FROM blocks WHERE chain_id = ?1 AND number > ?2",
                params![chain_id as i64, fork as i64],
            )?;
            tx.execute(
                "UPDATE chain_state SET last_block = ?2 WHERE chain_id = ?1",
                params![chain_id as i64, fork as i64],
            )?;
            // Receipts from the replaced blocks no longer hold: those operations are pending again.
            let receipts: Vec<(String, String)> = {
                let mut stmt = tx.prepare(
                    "SELECT hash, receipt FROM user_ops WHERE chain_id = ?1 AND receipt IS NOT NULL",
                )?;
                stmt.query_map(params![chain_id as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?
            };
            for (hash, receipt) in receipts {
                let block = serde_json::from_str::<serde_json::Value>(&receipt)
                    .ok()
                    .and_then(|v| v["receipt"]["blockNumber"].as_str().map(str::to_owned))
                    .and_then(|b| u64::from_str_radix(b.trim_start_matches("0x"), 16).ok());
                if block.is_some_and(|b| b > fork) {
                    tx.execute(
                        "UPDATE user_ops SET status = 'pending', receipt = NULL WHERE hash = ?1",
                        params![hash],
                    )?;
                }
            }
            Ok(undone.len())
        })
    }

    /// The last block whose logs were processed for `chain_id`.
    pub fn last_block(&self, chain_id: u64) -> Result<Option<u64>, StoreError> {
        self.read(|tx| {
            Ok(tx
                .query_row(
                    "SELECT last_block FROM chain_state WHERE chain_id = ?1",
                    params![chain_id as i64],
                    |r| r.get::<_, i64>(0),
                )
                .optional()?
                .map(|b| b as u64))
        })
    }

    /// Releases reservations whose signature expired before chain time `chain_time`.
    pub fn release_expired(&self, chain_id: u64, chain_time: u64) -> Result<usize, StoreError> {
        self.with(|tx| {
            let expired: Vec<(i64, String, String, i64, String)> = {
                let mut stmt = tx.prepare(
                    "SELECT id, app, sender, window_start, max_cost FROM sponsorships
                     WHERE chain_id = ?1 AND status = 'reserved' AND valid_until < ?2",
                )?;
                stmt.query_map(params![chain_id as i64, chain_time as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<Result<_, _>>()?
            };
            for (id, app, sender, window, max_cost) in &expired {
                release(
                    tx,
                    *id,
                    app,
                    chain_id,
                    sender,
                    *window as u64,
                    wei(max_cost)?,
                )?;
            }
            Ok(expired.len())
        })
    }

    /// Totals for `chain_id`.
    pub fn totals(&self, chain_id: u64) -> Result<Totals, StoreError> {
        self.read(|tx| {
            let mut totals = Totals::default();
            let mut stmt = tx.prepare(
                "SELECT status, max_cost, actual_cost FROM sponsorships WHERE chain_id = ?1",
            )?;
            let rows = stmt.query_map(params![chain_id as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })?;
            for row in rows {
                let (status, max_cost, actual) = row?;
                match status.as_str() {
                    "reserved" => {
                        totals.reserved += 1;
                        totals.reserved_wei += wei(&max_cost)?;
                    }
                    "settled" => {
                        totals.settled += 1;
                        totals.settled_wei += wei(actual.as_deref().unwrap_or("0"))?;
                    }
                    _ => totals.released += 1,
                }
            }
            Ok(totals)
        })
    }

    /// Records a submitted UserOperation (or its resubmission with new fees).
    pub fn record_relayed(&self, op: &RelayedOp) -> Result<(), StoreError> {
        self.with(|tx| {
            tx.execute(
                "INSERT INTO user_ops (hash, chain_id, op, tx_hash, tx_nonce, max_fee, priority_fee, submitted_at, receipt, sender, nonce, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (hash) DO UPDATE SET tx_hash = ?4, tx_nonce = ?5, max_fee = ?6, priority_fee = ?7, submitted_at = ?8, receipt = ?9, status = ?12",
                params![
                    op.hash,
                    op.chain_id as i64,
                    op.op_json,
                    op.tx_hash,
                    op.tx_nonce as i64,
                    op.max_fee.to_string(),
                    op.priority_fee.to_string(),
                    op.submitted_at as i64,
                    op.receipt_json,
                    op.sender,
                    op.nonce,
                    op.status
                ],
            )?;
            Ok(())
        })
    }

    /// A relayed UserOperation by hash.
    pub fn relayed(&self, hash: &str) -> Result<Option<RelayedOp>, StoreError> {
        self.read(|tx| {
            tx.query_row(
                "SELECT hash, chain_id, op, tx_hash, tx_nonce, max_fee, priority_fee, submitted_at, receipt, sender, nonce, status FROM user_ops WHERE hash = ?1",
                params![hash],
                row_to_relayed,
            )
            .optional()
            .map_err(StoreError::from)?
            .map(|r| r.map_err(StoreError::Corrupt))
            .transpose()
        })
    }

    /// The operation of `sender` with `nonce` still pending on `chain_id`, if any.
    pub fn pending_for_nonce(
        &self,
        chain_id: u64,
        sender: &str,
        nonce: &str,
    ) -> Result<Option<RelayedOp>, StoreError> {
        self.read(|tx| {
            tx.query_row(
                "SELECT hash, chain_id, op, tx_hash, tx_nonce, max_fee, priority_fee, submitted_at, receipt, sender, nonce, status
                 FROM user_ops WHERE chain_id = ?1 AND sender = ?2 AND nonce = ?3 AND status = 'pending'",
                params![chain_id as i64, sender, nonce],
                row_to_relayed,
            )
            .optional()
            .map_err(StoreError::from)?
            .map(|r| r.map_err(StoreError::Corrupt))
            .transpose()
        })
    }

    /// What the relay saw of `entity` on `chain_id` today.
    pub fn reputation(&self, chain_id: u64, entity: &str) -> Result<Reputation, StoreError> {
        // One statement, read on every request: no transaction around it, the statement cached.
        let conn = self.conn.lock().map_err(|_| StoreError::Poisoned)?;
        let row: Option<(i64, i64, i64, i64)> = conn
            .prepare_cached(
                "SELECT seen, included, failed, day FROM reputation WHERE chain_id = ?1 AND entity = ?2",
            )?
            .query_row(params![chain_id as i64, entity], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        Ok(match row {
            Some((seen, included, failed, day)) if day as u64 == today() => Reputation {
                seen: seen as u64,
                included: included as u64,
                failed: failed as u64,
            },
            _ => Reputation::default(),
        })
    }

    /// Counts one more operation of `entity`: submitted, included or failed on chain.
    pub fn count(&self, chain_id: u64, entity: &str, outcome: Outcome) -> Result<(), StoreError> {
        let day = today() as i64;
        let (seen, included, failed) = match outcome {
            Outcome::Seen => (1, 0, 0),
            Outcome::Included => (0, 1, 0),
            Outcome::Failed => (0, 0, 1),
        };
        self.with(|tx| {
            tx.execute(
                "INSERT INTO reputation (chain_id, entity, seen, included, failed, day)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (chain_id, entity) DO UPDATE SET
                   seen = CASE WHEN day = ?6 THEN seen + ?3 ELSE ?3 END,
                   included = CASE WHEN day = ?6 THEN included + ?4 ELSE ?4 END,
                   failed = CASE WHEN day = ?6 THEN failed + ?5 ELSE ?5 END,
                   day = ?6",
                params![chain_id as i64, entity, seen, included, failed, day],
            )?;
            Ok(())
        })
    }

    /// Relayed operations of `chain_id` still without receipt.
    pub fn pending_relayed(&self, chain_id: u64) -> Result<Vec<RelayedOp>, StoreError> {
        self.read(|tx| {
            let mut stmt = tx.prepare(
                "SELECT hash, chain_id, op, tx_hash, tx_nonce, max_fee, priority_fee, submitted_at, receipt, sender, nonce, status
                 FROM user_ops WHERE chain_id = ?1 AND status = 'pending' ORDER BY tx_nonce",
            )?;
            let rows = stmt.query_map(params![chain_id as i64], row_to_relayed)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row?.map_err(StoreError::Corrupt)?);
            }
            Ok(out)
        })
    }
}

type RelayedRow = Result<RelayedOp, String>;

fn row_to_relayed(r: &rusqlite::Row<'_>) -> rusqlite::Result<RelayedRow> {
    let max_fee: String = r.get(5)?;
    let priority_fee: String = r.get(6)?;
    let op = (|| -> Result<RelayedOp, String> {
        Ok(RelayedOp {
            hash: r.get(0).map_err(|e| e.to_string())?,
            chain_id: r.get::<_, i64>(1).map_err(|e| e.to_string())? as u64,
            op_json: r.get(2).map_err(|e| e.to_string())?,
            tx_hash: r.get(3).map_err(|e| e.to_string())?,
            tx_nonce: r.get::<_, i64>(4).map_err(|e| e.to_string())? as u64,
            max_fee: max_fee.parse().map_err(|_| max_fee.clone())?,
            priority_fee: priority_fee.parse().map_err(|_| priority_fee.clone())?,
            submitted_at: r.get::<_, i64>(7).map_err(|e| e.to_string())? as u64,
            receipt_json: r.get(8).map_err(|e| e.to_string())?,
            sender: r.get(9).map_err(|e| e.to_string())?,
            nonce: r.get(10).map_err(|e| e.to_string())?,
            status: r.get(11).map_err(|e| e.to_string())?,
        })
    })();
    Ok(op)
}

/// Checks the limits and reserves in `tx` (see [`Store::reserve`]).
fn reserve_in(
    tx: &Connection,
    reservation: &Reservation,
    limits: &Limits,
    notify: bool,
) -> Result<Result<i64, LimitReached>, StoreError> {
    let mut r = reservation.clone();
    let replaced: Vec<(i64, String, String, i64, String)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, app, sender, window_start, max_cost FROM sponsorships
             WHERE chain_id = ?1 AND sender = ?2 AND nonce = ?3 AND status = 'reserved'",
        )?;
        stmt.query_map(params![r.chain_id as i64, r.sender, r.nonce], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?
        .collect::<Result<_, _>>()?
    };
    for (id, app, sender, window, max_cost) in &replaced {
        let max_cost = wei(max_cost)?;
        r.max_cost = r.max_cost.max(max_cost);
        release(tx, *id, app, r.chain_id, sender, *window as u64, max_cost)?;
    }
    let (reached, used) = check_usage(tx, &r, limits)?;
    if let Some(reached) = reached {
        return Ok(Err(reached));
    }
    let r = &r;
    // The usage check just read is current (replaced reservations were released before it).
    for (scope, (ops, spend)) in [r.sender.as_str(), GLOBAL_SCOPE].into_iter().zip(used) {
        put_usage(
            tx,
            &r.app,
            r.chain_id,
            scope,
            r.window_start,
            ops as i64 + 1,
            spend.saturating_add(r.max_cost),
        )?;
    }
    tx.prepare_cached(
        "INSERT INTO sponsorships (app, chain_id, sender, nonce, window_start, max_cost, valid_until, status, created_at, client)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'reserved', ?8, ?9)",
    )?
    .execute(params![
            r.app,
            r.chain_id as i64,
            r.sender,
            r.nonce,
            r.window_start as i64,
            r.max_cost.to_string(),
            r.valid_until as i64,
            now() as i64,
            r.client
        ],
    )?;
    let id = tx.last_insert_rowid();
    if notify {
        let (ops, spend) = used[1];
        let total = (ops + 1, spend.saturating_add(r.max_cost));
        crate::alerts::sponsorship_events(tx, r, id, limits, total)?;
    }
    Ok(Ok(id))
}

/// The sender's other open sponsorships (on every request).
const OPEN_FOR_SENDER: &str = "SELECT COUNT(*) FROM sponsorships WHERE chain_id = ?1
    AND status = 'reserved' AND sender = ?2 AND nonce != ?3";
/// The sponsorship an operation's hash already settled (on every settled event).
const SETTLED_BY_HASH: &str =
    "SELECT id FROM sponsorships WHERE chain_id = ?1 AND user_op_hash = ?2";

fn check(
    tx: &Connection,
    r: &Reservation,
    limits: &Limits,
) -> Result<Option<LimitReached>, StoreError> {
    Ok(check_usage(tx, r, limits)?.0)
}

/// The sender's and the app's usage (operations, wei) in a window.
type Usage = [(u64, u128); 2];

/// The limit one more operation of `r.max_cost` would break, and the usage it read.
fn check_usage(
    tx: &Connection,
    r: &Reservation,
    limits: &Limits,
) -> Result<(Option<LimitReached>, Usage), StoreError> {
    let (sender_ops, sender_spend) = usage(tx, &r.app, r.chain_id, &r.sender, r.window_start)?;
    let (total_ops, total_spend) = usage(tx, &r.app, r.chain_id, GLOBAL_SCOPE, r.window_start)?;
    // A reservation for the same sender and nonce would be replaced, so it does not count.
    let open_sender: i64 = tx
        .prepare_cached(OPEN_FOR_SENDER)?
        .query_row(params![r.chain_id as i64, r.sender, r.nonce], |row| {
            row.get(0)
        })?;
    let open_client: i64 = if r.client.is_empty() {
        0
    } else {
        tx.prepare_cached(
            "SELECT COUNT(*) FROM sponsorships WHERE chain_id = ?1 AND status = 'reserved'
             AND client = ?2 AND NOT (sender = ?3 AND nonce = ?4)",
        )?
        .query_row(
            params![r.chain_id as i64, r.client, r.sender, r.nonce],
            |row| row.get(0),
        )?
    };
    let reached = if open_sender as u64 >= limits.open_per_sender {
        Some(LimitReached::OpenPerSender {
            limit: limits.open_per_sender,
        })
    } else if open_client as u64 >= limits.open_per_client {
        Some(LimitReached::OpenPerClient {
            limit: limits.open_per_client,
        })
    } else if sender_ops >= limits.ops_per_sender {
        Some(LimitReached::SenderOps {
            limit: limits.ops_per_sender,
        })
    } else if total_ops >= limits.ops_total {
        Some(LimitReached::TotalOps {
            limit: limits.ops_total,
        })
    } else if sender_spend.saturating_add(r.max_cost) > limits.spend_per_sender {
        Some(LimitReached::SenderSpend {
            limit: limits.spend_per_sender,
            used: sender_spend,
        })
    } else if total_spend.saturating_add(r.max_cost) > limits.spend_total {
        Some(LimitReached::TotalSpend {
            limit: limits.spend_total,
            used: total_spend,
        })
    } else {
        None
    };
    Ok((
        reached,
        [(sender_ops, sender_spend), (total_ops, total_spend)],
    ))
}

fn release(
    tx: &Connection,
    id: i64,
    app: &str,
    chain_id: u64,
    sender: &str,
    window: u64,
    max_cost: u128,
) -> Result<(), StoreError> {
    for scope in [sender, GLOBAL_SCOPE] {
        adjust(tx, app, chain_id, scope, window, -1, -(max_cost as i128))?;
    }
    tx.execute(
        "UPDATE sponsorships SET status = 'released' WHERE id = ?1",
        params![id],
    )?;
    Ok(())
}

/// A UserOperationEvent of the relay's paymaster, as read from the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledEvent {
    /// The account (checksummed hex).
    pub sender: String,
    /// The nonce (hex).
    pub nonce: String,
    /// What the paymaster paid, in wei.
    pub actual_cost: u128,
    /// The UserOperation hash.
    pub hash: String,
    /// The block it is in.
    pub block: u64,
    /// Whether the operation's calls succeeded.
    pub success: bool,
}

/// An operation's fate on chain, for reputation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Submitted in a bundle.
    Seen,
    /// Included and executed.
    Included,
    /// The bundle reverted, or the operation was not executed.
    Failed,
}

fn today() -> u64 {
    now() / 86_400
}

fn settle_one(
    tx: &rusqlite::Transaction<'_>,
    chain_id: u64,
    event: &SettledEvent,
    notified: &Notified,
) -> Result<bool, StoreError> {
    let (sender, nonce, actual, hash) = (
        event.sender.as_str(),
        event.nonce.as_str(),
        event.actual_cost,
        event.hash.as_str(),
    );
    let already: Option<i64> = tx
        .query_row(SETTLED_BY_HASH, params![chain_id as i64, hash], |r| {
            r.get(0)
        })
        .optional()?;
    if already.is_some() {
        return Ok(false); // the same log read twice
    }
    let rows: Vec<(i64, String, String, i64, String)> = {
        let mut stmt = tx.prepare(
            "SELECT id, app, status, window_start, max_cost FROM sponsorships
             WHERE chain_id = ?1 AND sender = ?2 AND nonce = ?3 AND status != 'settled' ORDER BY id DESC",
        )?;
        stmt.query_map(params![chain_id as i64, sender, nonce], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?
    };
    let Some(chosen) = rows
        .iter()
        .find(|r| r.2 == "reserved")
        .or_else(|| rows.first())
    else {
        return Ok(false); // not ours (another paymaster signer or app)
    };
    let (id, app, status, window, max_cost) = chosen.clone();
    let window = window as u64;
    let max_cost = wei(&max_cost)?;
    for scope in [sender, GLOBAL_SCOPE] {
        if status == "reserved" {
            adjust(
                tx,
                &app,
                chain_id,
                scope,
                window,
                0,
                actual as i128 - max_cost as i128,
            )?;
        } else {
            // Released too early (should not happen): count it again.
            adjust(tx, &app, chain_id, scope, window, 1, actual as i128)?;
        }
    }
    tx.execute(
        "UPDATE sponsorships SET status = 'settled', actual_cost = ?2, user_op_hash = ?3, settled_block = ?4 WHERE id = ?1",
        params![id, actual.to_string(), hash, event.block as i64],
    )?;
    if is_notified(notified, &app) {
        crate::alerts::settled_event(tx, &app, chain_id, event)?;
    }
    // Other signatures for the same nonce can never be used now.
    for (other, app, status, window, max_cost) in &rows {
        if *other != id && status == "reserved" {
            release(
                tx,
                *other,
                app,
                chain_id,
                sender,
                *window as u64,
                wei(max_cost)?,
            )?;
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reservation(sender: &str, nonce: &str, cost: u128) -> Reservation {
        Reservation {
            app: "app".into(),
            chain_id: 1,
            sender: sender.into(),
            nonce: nonce.into(),
            window_start: 0,
            max_cost: cost,
            valid_until: 100,
            client: String::new(),
        }
    }

    fn event(sender: &str, nonce: &str, cost: u128, hash: &str, block: u64) -> SettledEvent {
        SettledEvent {
            success: true,
            sender: sender.into(),
            nonce: nonce.into(),
            actual_cost: cost,
            hash: hash.into(),
            block,
        }
    }

    const LIMITS: Limits = Limits {
        ops_per_sender: 2,
        ops_total: 3,
        spend_per_sender: 1000,
        spend_total: 1500,
        open_per_sender: 10,
        open_per_client: 10,
    };

    #[test]
    fn limits_reserve_settle_release() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        assert!(
            store
                .reserve(&reservation("a", "0", 400), &LIMITS)
                .unwrap()
                .is_ok()
        );
        assert!(
            store
                .reserve(&reservation("a", "1", 400), &LIMITS)
                .unwrap()
                .is_ok()
        );
        assert_eq!(
            store.reserve(&reservation("a", "2", 1), &LIMITS).unwrap(),
            Err(LimitReached::SenderOps { limit: 2 })
        );
        assert_eq!(
            store.reserve(&reservation("b", "0", 800), &LIMITS).unwrap(),
            Err(LimitReached::TotalSpend {
                limit: 1500,
                used: 800
            })
        );
        // Settling frees the difference between reserved and actual.
        let events = vec![event("a", "0", 100, "h0", 7)];
        assert_eq!(
            store.settle_range(1, &events, 10, B256::ZERO, 64).unwrap(),
            1
        );
        assert_eq!(
            store.settle_range(1, &events, 10, B256::ZERO, 64).unwrap(),
            0,
            "idempotent"
        );
        assert_eq!(store.usage("app", 1, None, 0).unwrap(), (2, 500));
        assert_eq!(store.last_block(1).unwrap(), Some(10));
        // Expiry releases the unused one.
        assert_eq!(store.release_expired(1, 101).unwrap(), 1);
        assert_eq!(store.usage("app", 1, Some("a"), 0).unwrap(), (1, 100));
        let totals = store.totals(1).unwrap();
        assert_eq!(
            (totals.settled, totals.released, totals.reserved),
            (1, 1, 0)
        );
        assert_eq!(totals.settled_wei, 100);
    }

    #[test]
    fn concurrent_reservations_never_overspend() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(Store::open(&dir.path().join("db")).unwrap());
        let limits = Limits {
            ops_per_sender: 1000,
            ops_total: 1000,
            spend_per_sender: 1_000_000,
            spend_total: 10_000,
            open_per_sender: 1000,
            open_per_client: 1000,
        };
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    (0..50)
                        .filter(|i| {
                            store
                                .reserve(
                                    &reservation(&format!("s{t}"), &i.to_string(), 97),
                                    &limits,
                                )
                                .unwrap()
                                .is_ok()
                        })
                        .count()
                })
            })
            .collect();
        let granted: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(granted, 10_000 / 97);
        assert_eq!(
            store.usage("app", 1, None, 0).unwrap(),
            (granted as u64, granted as u128 * 97)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn grouped_reservations_hold_the_budget_exactly_and_are_committed_when_answered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let store = std::sync::Arc::new(Store::open(&path).unwrap());
        let limits = Limits {
            ops_per_sender: 3,
            ops_total: 17,
            spend_per_sender: u128::MAX,
            spend_total: u128::MAX,
            open_per_sender: 1000,
            open_per_client: 1000,
        };
        // 200 at once against a budget of 17: they land in groups, each sees the ones before it.
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let r = reservation(&format!("s{}", i % 40), &(i / 40).to_string(), 10);
                    store.reserve_grouped(r, limits).await.unwrap()
                })
            })
            .collect();
        let mut granted = Vec::new();
        let mut refused = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(id) => granted.push(id),
                Err(LimitReached::TotalOps { limit: 17 }) => refused += 1,
                Err(other) => panic!("unexpected refusal {other:?}"),
            }
        }
        assert_eq!((granted.len(), refused), (17, 183));
        // Answered means committed: a separate connection sees every granted reservation.
        let other = Connection::open(&path).unwrap();
        let stored: i64 = other
            .query_row(
                "SELECT COUNT(*) FROM sponsorships WHERE status = 'reserved'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stored, 17);
        assert_eq!(store.usage("app", 1, None, 0).unwrap(), (17, 170));
        // The per-sender limit holds inside one group too.
        let one_sender: Vec<_> = (0..5)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .reserve_grouped(
                            reservation("solo", &n.to_string(), 1),
                            Limits {
                                ops_total: 100,
                                ..limits
                            },
                        )
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut solo = 0;
        for task in one_sender {
            solo += usize::from(task.await.unwrap().is_ok());
        }
        assert_eq!(solo, 3);
    }

    #[test]
    fn the_lookups_on_every_request_and_event_use_their_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let conn = store.conn.lock().unwrap();
        for (sql, index) in [
            (OPEN_FOR_SENDER, "sponsorships_sender_open"),
            (SETTLED_BY_HASH, "sponsorships_by_hash"),
        ] {
            let mut explain = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let nulls = vec![rusqlite::types::Null; explain.parameter_count()];
            let plan: Vec<String> = explain
                .query_map(rusqlite::params_from_iter(nulls), |r| r.get(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                plan.iter().any(|step| step.contains(index))
                    && !plan.iter().any(|step| step.starts_with("SCAN")),
                "{sql} runs as {plan:?}"
            );
        }
    }

    #[test]
    fn the_operator_is_told_of_each_sponsorship_included_or_failed_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        // Another app's sponsorships are not reported.
        store.notify_apps(["app".to_string()].into());
        store
            .reserve(&reservation("a", "0", 400), &LIMITS)
            .unwrap()
            .unwrap();
        store
            .reserve(&reservation("b", "0", 400), &LIMITS)
            .unwrap()
            .unwrap();
        let quiet = Reservation {
            app: "quiet".into(),
            ..reservation("c", "0", 400)
        };
        store.reserve(&quiet, &LIMITS).unwrap().unwrap();
        let mut failed = event("b", "0", 300, "0xbb", 2);
        failed.success = false;
        let events = [
            event("a", "0", 300, "0xaa", 1),
            failed.clone(),
            event("c", "0", 300, "0xcc", 2),
        ];
        store.settle_range(1, &events, 2, B256::ZERO, 64).unwrap();
        // The same logs read again add nothing.
        store.settle_range(1, &events, 2, B256::ZERO, 64).unwrap();
        let told: Vec<(String, String)> = store
            .due_alerts(i64::MAX as u64, 100)
            .unwrap()
            .into_iter()
            .map(|due| {
                let body: serde_json::Value = serde_json::from_str(&due.body).unwrap();
                (
                    body["type"].as_str().unwrap().to_owned(),
                    body["account"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(
            told,
            pairs(&[
                ("sponsorship.sponsored", "a"),
                ("sponsorship.sponsored", "b"),
                ("sponsorship.included", "a"),
                ("sponsorship.failed", "b"),
            ])
        );
    }

    #[test]
    fn a_new_sponsorship_for_the_same_nonce_replaces_the_unused_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let limits = Limits {
            open_per_sender: 1,
            ..LIMITS
        };
        assert!(
            store
                .reserve(&reservation("v", "0", 300), &limits)
                .unwrap()
                .is_ok()
        );
        // Same nonce: replaces (keeping the higher cost reserved), not a second open one.
        assert!(
            store
                .reserve(&reservation("v", "0", 100), &limits)
                .unwrap()
                .is_ok()
        );
        assert_eq!(store.usage("app", 1, Some("v"), 0).unwrap(), (1, 300));
        // Another nonce while one is open: the per-sender cap.
        assert_eq!(
            store.reserve(&reservation("v", "1", 100), &limits).unwrap(),
            Err(LimitReached::OpenPerSender { limit: 1 })
        );
        let mut from_client = reservation("w", "0", 10);
        from_client.client = "10.0.0.1".into();
        let per_client = Limits {
            open_per_client: 1,
            ..LIMITS
        };
        assert!(store.reserve(&from_client, &per_client).unwrap().is_ok());
        from_client.sender = "x".into();
        assert_eq!(
            store.reserve(&from_client, &per_client).unwrap(),
            Err(LimitReached::OpenPerClient { limit: 1 })
        );
    }

    #[test]
    fn a_reorganisation_undoes_what_the_replaced_blocks_settled() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        assert!(
            store
                .reserve(&reservation("a", "0", 400), &LIMITS)
                .unwrap()
                .is_ok()
        );
        let hash = B256::repeat_byte(1);
        store
            .settle_range(1, &[event("a", "0", 100, "h0", 12)], 12, hash, 64)
            .unwrap();
        assert_eq!(store.usage("app", 1, Some("a"), 0).unwrap(), (1, 100));
        assert_eq!(store.recent_blocks(1).unwrap(), vec![(12, hash)]);
        assert_eq!(store.rollback(1, 11).unwrap(), 1);
        assert_eq!(store.last_block(1).unwrap(), Some(11));
        assert!(store.recent_blocks(1).unwrap().is_empty());
        assert_eq!(store.usage("app", 1, Some("a"), 0).unwrap(), (1, 400));
        assert_eq!(store.totals(1).unwrap().reserved, 1);
        // Read again in the new chain (another block): settled once more.
        store
            .settle_range(
                1,
                &[event("a", "0", 120, "h0", 13)],
                13,
                B256::repeat_byte(2),
                64,
            )
            .unwrap();
        assert_eq!(store.usage("app", 1, Some("a"), 0).unwrap(), (1, 120));
    }

    #[test]
    fn reputation_bans_after_failures_and_resets_daily() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        for _ in 0..BAN_AFTER_FAILURES {
            assert!(!store.reputation(1, "a").unwrap().banned());
            store.count(1, "a", Outcome::Seen).unwrap();
            store.count(1, "a", Outcome::Failed).unwrap();
        }
        let r = store.reputation(1, "a").unwrap();
        assert!(r.banned());
        assert_eq!((r.seen, r.failed), (BAN_AFTER_FAILURES, BAN_AFTER_FAILURES));
        assert!(!store.reputation(2, "a").unwrap().banned());
    }

    #[test]
    fn files_from_before_schema_versions_are_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert!(
            store
                .reserve(&reservation("a", "0", 1), &LIMITS)
                .unwrap()
                .is_ok()
        );
        drop(store);
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }
}
