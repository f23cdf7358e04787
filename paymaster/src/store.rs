//! The relay's state: sponsorship reservations, usage counters per window, relayed
//! UserOperations and how far each chain's logs were read — in SQLite (one process, the
//! default) or PostgreSQL (several relay instances on one database).
//!
//! Every change that must stay consistent happens in one write transaction, and write
//! transactions run one at a time (SQLite's `BEGIN IMMEDIATE`; PostgreSQL's advisory lock), so
//! concurrent requests — and several relay processes — never overspend a limit.

use std::path::Path;
use std::sync::Mutex;

use alloy_primitives::B256;

use rusqlite::Connection;

pub mod lease;
mod postgres;
pub(crate) mod sql;
mod writer;

use sql::{Conn, Sql, args};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed (its error code and message).
    #[error("PostgreSQL error: {0}")]
    Postgres(String),
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
    /// This instance's lease ran out and another instance took the work over.
    #[error("the lease {0} is held by another relay instance now")]
    LeaseLost(String),
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
    /// `queued` (for the leading instance to submit), `pending`, `included`, `failed`
    /// (included, not executed) or `dropped` (never included).
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

/// The relay's database (SQLite or PostgreSQL).
pub struct Store {
    /// Connections for reads and the other writes, used by whichever request finds one free.
    pool: Vec<Mutex<Box<dyn Conn>>>,
    /// Where the next request starts looking for a free connection.
    next: std::sync::atomic::AtomicUsize,
    writer: writer::Writer,
    /// Apps told of their sponsorships' events through their webhook.
    notified: Notified,
    /// `sqlite` or `postgres`.
    backend: &'static str,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
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
    // 6: leases (one watcher settles a chain, one instance submits from a relayer key), with
    // fencing tokens.
    LEASES_TABLE,
    // 7: apps, API keys (hashed) and policies made at run time through the admin API, and the
    // audit log of those changes.
    "CREATE TABLE runtime_apps (name TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        app TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
    );
    CREATE TABLE runtime_policies (
        app TEXT NOT NULL,
        chain_id INTEGER NOT NULL,
        body TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (app, chain_id)
    );
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT NOT NULL
    );",
];

/// Migration 6, the same in both backends.
const LEASES_TABLE: &str = "CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        token BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
    );";

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
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

/// Connections besides the writer's for SQLite (readers run in parallel with WAL).
const SQLITE_POOL: usize = 2;
/// Connections besides the writer's for PostgreSQL (each request's reads are round trips).
const POSTGRES_POOL: usize = 8;

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
    tx: &dyn Sql,
    app: &str,
    chain_id: u64,
    scope: &str,
    window: u64,
) -> Result<(u64, u128), StoreError> {
    match tx.query_opt(
        "SELECT ops, spend FROM usage WHERE app = ?1 AND chain_id = ?2 AND scope = ?3 AND window_start = ?4",
        args![app, chain_id, scope, window],
    )? {
        Some(row) => Ok((row.uint(0)?, row.wei(1)?)),
        None => Ok((0, 0)),
    }
}

/// Adds `ops` and `spend` (may be negative) to a usage counter.
fn adjust(
    tx: &dyn Sql,
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
    tx: &dyn Sql,
    app: &str,
    chain_id: u64,
    scope: &str,
    window: u64,
    ops: i64,
    spend: u128,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO usage (app, chain_id, scope, window_start, ops, spend) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (app, chain_id, scope, window_start) DO UPDATE SET ops = ?5, spend = ?6",
        args![app, chain_id, scope, window, ops, spend.to_string()],
    )?;
    Ok(())
}

/// A connection to the SQLite database at `path`, set up as every connection of the store is.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    // WAL + NORMAL: durable across process crashes (the failure the relay must survive);
    // a power loss may drop the last transactions, which the log scan then replays.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // The writer's checkpoint thread copies the WAL back, never a request's commit.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Where the relay keeps its state: a SQLite file, or a PostgreSQL database for several
/// instances. Written in the configuration as a path or a `postgres://` URL.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (created when missing).
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL connection URL (`postgres://user:password@host:port/database`).
    Postgres(String),
}

impl Database {
    /// The database a configuration value names.
    pub fn parse(value: &str) -> Database {
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Database::Postgres(value.to_owned())
        } else {
            Database::Sqlite(value.into())
        }
    }

    /// Where it is, for logs: the path, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(path) => path.display().to_string(),
            Database::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme), Some(at)) if at > scheme => {
                    let user = &url[scheme + 3..at];
                    let user = user.split(':').next().unwrap_or_default();
                    format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
                }
                _ => url.clone(),
            },
        }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.describe())
    }
}

impl From<std::path::PathBuf> for Database {
    fn from(path: std::path::PathBuf) -> Self {
        Database::Sqlite(path)
    }
}

impl serde::Serialize for Database {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Database::Sqlite(path) => s.serialize_str(&path.to_string_lossy()),
            Database::Postgres(url) => s.serialize_str(url),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Database {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = String::deserialize(d)?;
        Ok(Database::parse(&value))
    }
}

impl Store {
    /// Opens (or creates) the SQLite database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = connect(path)?;
        migrate(&mut conn)?;
        let notified = Notified::default();
        let writer = writer::Writer::start(
            Box::new(connect(path)?),
            Some(connect(path)?),
            notified.clone(),
        )?;
        let mut pool: Vec<Mutex<Box<dyn Conn>>> = vec![Mutex::new(Box::new(conn))];
        for _ in 1..SQLITE_POOL {
            pool.push(Mutex::new(Box::new(connect(path)?)));
        }
        Ok(Store {
            pool,
            next: Default::default(),
            writer,
            notified,
            backend: "sqlite",
        })
    }

    /// Connects to the PostgreSQL database at `url`, bringing its schema up to date.
    pub fn open_postgres(url: &str) -> Result<Self, StoreError> {
        let runtime = postgres::Runtime::start()?;
        let mut conn = postgres::PgConn::connect(url, &runtime)?;
        conn.migrate()?;
        let notified = Notified::default();
        let writer = writer::Writer::start(
            Box::new(postgres::PgConn::connect(url, &runtime)?),
            None,
            notified.clone(),
        )?;
        let mut pool: Vec<Mutex<Box<dyn Conn>>> = vec![Mutex::new(Box::new(conn))];
        for _ in 1..POSTGRES_POOL {
            pool.push(Mutex::new(Box::new(postgres::PgConn::connect(
                url, &runtime,
            )?)));
        }
        Ok(Store {
            pool,
            next: Default::default(),
            writer,
            notified,
            backend: "postgres",
        })
    }

    /// Opens `database`, whichever kind it is.
    pub fn connect(database: &Database) -> Result<Self, StoreError> {
        match database {
            Database::Sqlite(path) => Self::open(path),
            Database::Postgres(url) => Self::open_postgres(url),
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Records the sponsorship events (sponsored, included, failed, budget threshold) of these
    /// apps for their webhooks.
    pub fn notify_apps(&self, apps: std::collections::BTreeSet<String>) {
        if let Ok(mut notified) = self.notified.write() {
            *notified = apps;
        }
    }

    /// A connection of the pool: the first free one from a rotating start, or (all busy) the
    /// start one when it frees up.
    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Box<dyn Conn>>, StoreError> {
        let start = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for i in 0..self.pool.len() {
            if let Ok(conn) = self.pool[(start + i) % self.pool.len()].try_lock() {
                return Ok(conn);
            }
        }
        self.pool[start % self.pool.len()]
            .lock()
            .map_err(|_| StoreError::Poisoned)
    }

    /// Runs the reads of `f` in one read transaction: a consistent snapshot that never takes
    /// (or waits for) the write lock.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        sql::transaction(self.conn()?.as_mut(), false, f)
    }

    /// Runs `f` in one write transaction (writers run one at a time, across instances too).
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        sql::transaction(self.conn()?.as_mut(), true, f)
    }

    /// Runs one statement outside any transaction (a single read on every request).
    fn single<T>(
        &self,
        f: impl FnOnce(&dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        f(self.conn()?.sql())
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
    /// is kept (the last `keep` of them) to notice a reorganisation later. With a `fence`, only
    /// while that lease holds.
    pub fn settle_range(
        &self,
        chain_id: u64,
        events: &[SettledEvent],
        last_block: u64,
        last_hash: B256,
        keep: u64,
        fence: Option<&lease::Fence>,
    ) -> Result<usize, StoreError> {
        self.with(|tx| {
            lease::check(tx, fence)?;
            let mut settled = 0;
            for event in events {
                if settle_one(tx, chain_id, event, &self.notified)? {
                    settled += 1;
                }
            }
            tx.execute(
                "INSERT INTO chain_state (chain_id, last_block) VALUES (?1, ?2)
                 ON CONFLICT (chain_id) DO UPDATE SET last_block = ?2",
                args![chain_id, last_block],
            )?;
            tx.execute(
                "INSERT INTO blocks (chain_id, number, hash) VALUES (?1, ?2, ?3)
                 ON CONFLICT (chain_id, number) DO UPDATE SET hash = ?3",
                args![chain_id, last_block, last_hash.to_string()],
            )?;
            tx.execute(
                "DELETE FROM blocks WHERE chain_id = ?1 AND number < ?2",
                args![chain_id, last_block.saturating_sub(keep)],
            )?;
            Ok(settled)
        })
    }

    /// Block numbers and hashes the watcher read up to, newest first.
    pub fn recent_blocks(&self, chain_id: u64) -> Result<Vec<(u64, B256)>, StoreError> {
        self.read(|tx| {
            tx.query(
                "SELECT number, hash FROM blocks WHERE chain_id = ?1 ORDER BY number DESC",
                args![chain_id],
            )?
            .iter()
            .map(|row| {
                let hash = row.text(1)?;
                Ok((
                    row.uint(0)?,
                    hash.parse()
                        .map_err(|_| StoreError::Corrupt(hash.clone()))?,
                ))
            })
            .collect()
        })
    }

    /// Undoes what blocks after `fork` settled (a reorganisation replaced them): their
    /// sponsorships are reserved again, and the watcher reads on from `fork + 1`. Returns how
    /// many settlements were undone.
    pub fn rollback(
        &self,
        chain_id: u64,
        fork: u64,
        fence: Option<&lease::Fence>,
    ) -> Result<usize, StoreError> {
        self.with(|tx| {
            lease::check(tx, fence)?;
            let undone = tx.query(
                "SELECT id, app, sender, window_start, max_cost, actual_cost FROM sponsorships
                 WHERE chain_id = ?1 AND status = 'settled' AND settled_block > ?2",
                args![chain_id, fork],
            )?;
            for row in &undone {
                let actual = wei(row.opt_text(5)?.as_deref().unwrap_or("0"))?;
                let delta = row.wei(4)? as i128 - actual as i128;
                let (app, sender) = (row.text(1)?, row.text(2)?);
                for scope in [sender.as_str(), GLOBAL_SCOPE] {
                    adjust(tx, &app, chain_id, scope, row.uint(3)?, 0, delta)?;
                }
                tx.execute(
                    "UPDATE sponsorships SET status = 'reserved', actual_cost = NULL,
                     user_op_hash = NULL, settled_block = NULL WHERE id = ?1",
                    args![row.int(0)?],
                )?;
            }
            tx.execute(
                "DELETE FROM blocks WHERE chain_id = ?1 AND number > ?2",
                args![chain_id, fork],
            )?;
            tx.execute(
                "UPDATE chain_state SET last_block = ?2 WHERE chain_id = ?1",
                args![chain_id, fork],
            )?;
            // Receipts from the replaced blocks no longer hold: those operations are pending again.
            let receipts = tx.query(
                "SELECT hash, receipt FROM user_ops WHERE chain_id = ?1 AND receipt IS NOT NULL",
                args![chain_id],
            )?;
            for row in receipts {
                let block = serde_json::from_str::<serde_json::Value>(&row.text(1)?)
                    .ok()
                    .and_then(|v| v["receipt"]["blockNumber"].as_str().map(str::to_owned))
                    .and_then(|b| u64::from_str_radix(b.trim_start_matches("0x"), 16).ok());
                if block.is_some_and(|b| b > fork) {
                    tx.execute(
                        "UPDATE user_ops SET status = 'pending', receipt = NULL WHERE hash = ?1",
                        args![row.text(0)?],
                    )?;
                }
            }
            Ok(undone.len())
        })
    }

    /// The last block whose logs were processed for `chain_id`.
    pub fn last_block(&self, chain_id: u64) -> Result<Option<u64>, StoreError> {
        self.read(|tx| {
            tx.query_opt(
                "SELECT last_block FROM chain_state WHERE chain_id = ?1",
                args![chain_id],
            )?
            .map(|row| row.uint(0))
            .transpose()
        })
    }

    /// Releases reservations whose signature expired before chain time `chain_time`.
    pub fn release_expired(
        &self,
        chain_id: u64,
        chain_time: u64,
        fence: Option<&lease::Fence>,
    ) -> Result<usize, StoreError> {
        self.with(|tx| {
            lease::check(tx, fence)?;
            let expired = tx.query(
                "SELECT id, app, sender, window_start, max_cost FROM sponsorships
                 WHERE chain_id = ?1 AND status = 'reserved' AND valid_until < ?2",
                args![chain_id, chain_time],
            )?;
            for row in &expired {
                release(
                    tx,
                    row.int(0)?,
                    &row.text(1)?,
                    chain_id,
                    &row.text(2)?,
                    row.uint(3)?,
                    row.wei(4)?,
                )?;
            }
            Ok(expired.len())
        })
    }

    /// Totals for `chain_id`.
    pub fn totals(&self, chain_id: u64) -> Result<Totals, StoreError> {
        self.read(|tx| {
            let mut totals = Totals::default();
            for row in tx.query(
                "SELECT status, max_cost, actual_cost FROM sponsorships WHERE chain_id = ?1",
                args![chain_id],
            )? {
                match row.text(0)?.as_str() {
                    "reserved" => {
                        totals.reserved += 1;
                        totals.reserved_wei += row.wei(1)?;
                    }
                    "settled" => {
                        totals.settled += 1;
                        totals.settled_wei += wei(row.opt_text(2)?.as_deref().unwrap_or("0"))?;
                    }
                    _ => totals.released += 1,
                }
            }
            Ok(totals)
        })
    }

    /// Records a submitted UserOperation (or its resubmission with new fees, its receipt, or
    /// one queued for the chain's leading instance); with a `fence`, only while that lease holds.
    pub fn record_relayed(
        &self,
        op: &RelayedOp,
        fence: Option<&lease::Fence>,
    ) -> Result<(), StoreError> {
        self.with(|tx| {
            lease::check(tx, fence)?;
            record_relayed(tx, op)
        })
    }

    /// Operations of `chain_id` accepted by an instance that did not lead the chain, oldest
    /// first, for the leading one to submit.
    pub fn queued(&self, chain_id: u64) -> Result<Vec<RelayedOp>, StoreError> {
        self.read(|tx| {
            tx.query(
                &format!(
                    "SELECT {RELAYED_COLUMNS} FROM user_ops
                     WHERE chain_id = ?1 AND status = 'queued' ORDER BY submitted_at"
                ),
                args![chain_id],
            )?
            .iter()
            .map(row_to_relayed)
            .collect()
        })
    }

    /// A relayed UserOperation by hash.
    pub fn relayed(&self, hash: &str) -> Result<Option<RelayedOp>, StoreError> {
        self.read(|tx| {
            tx.query_opt(
                &format!("SELECT {RELAYED_COLUMNS} FROM user_ops WHERE hash = ?1"),
                args![hash],
            )?
            .map(|row| row_to_relayed(&row))
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
            tx.query_opt(
                &format!(
                    "SELECT {RELAYED_COLUMNS} FROM user_ops
                     WHERE chain_id = ?1 AND sender = ?2 AND nonce = ?3 AND status = 'pending'"
                ),
                args![chain_id, sender, nonce],
            )?
            .map(|row| row_to_relayed(&row))
            .transpose()
        })
    }

    /// What the relay saw of `entity` on `chain_id` today.
    pub fn reputation(&self, chain_id: u64, entity: &str) -> Result<Reputation, StoreError> {
        // One statement, read on every request: no transaction around it.
        let row = self.single(|sql| {
            sql.query_opt(
                "SELECT seen, included, failed, day FROM reputation WHERE chain_id = ?1 AND entity = ?2",
                args![chain_id, entity],
            )
        })?;
        Ok(match row {
            Some(row) if row.uint(3)? == today() => Reputation {
                seen: row.uint(0)?,
                included: row.uint(1)?,
                failed: row.uint(2)?,
            },
            _ => Reputation::default(),
        })
    }

    /// Counts one more operation of `entity`: submitted, included or failed on chain.
    pub fn count(&self, chain_id: u64, entity: &str, outcome: Outcome) -> Result<(), StoreError> {
        let day = today();
        let (seen, included, failed): (i64, i64, i64) = match outcome {
            Outcome::Seen => (1, 0, 0),
            Outcome::Included => (0, 1, 0),
            Outcome::Failed => (0, 0, 1),
        };
        self.with(|tx| {
            tx.execute(
                "INSERT INTO reputation (chain_id, entity, seen, included, failed, day)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (chain_id, entity) DO UPDATE SET
                   seen = CASE WHEN reputation.day = ?6 THEN reputation.seen + ?3 ELSE ?3 END,
                   included = CASE WHEN reputation.day = ?6 THEN reputation.included + ?4 ELSE ?4 END,
                   failed = CASE WHEN reputation.day = ?6 THEN reputation.failed + ?5 ELSE ?5 END,
                   day = ?6",
                args![chain_id, entity, seen, included, failed, day],
            )?;
            Ok(())
        })
    }

    /// Relayed operations of `chain_id` still without receipt.
    pub fn pending_relayed(&self, chain_id: u64) -> Result<Vec<RelayedOp>, StoreError> {
        self.read(|tx| {
            tx.query(
                &format!(
                    "SELECT {RELAYED_COLUMNS} FROM user_ops
                     WHERE chain_id = ?1 AND status = 'pending' ORDER BY tx_nonce"
                ),
                args![chain_id],
            )?
            .iter()
            .map(row_to_relayed)
            .collect()
        })
    }
}

/// Records a submitted UserOperation in `tx`.
fn record_relayed(tx: &dyn Sql, op: &RelayedOp) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO user_ops (hash, chain_id, op, tx_hash, tx_nonce, max_fee, priority_fee, submitted_at, receipt, sender, nonce, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (hash) DO UPDATE SET tx_hash = ?4, tx_nonce = ?5, max_fee = ?6, priority_fee = ?7, submitted_at = ?8, receipt = ?9, status = ?12",
        args![
            &op.hash,
            op.chain_id,
            &op.op_json,
            &op.tx_hash,
            op.tx_nonce,
            op.max_fee.to_string(),
            op.priority_fee.to_string(),
            op.submitted_at,
            op.receipt_json.clone(),
            &op.sender,
            &op.nonce,
            &op.status
        ],
    )?;
    Ok(())
}

/// The columns [`row_to_relayed`] reads.
const RELAYED_COLUMNS: &str = "hash, chain_id, op, tx_hash, tx_nonce, max_fee, priority_fee, submitted_at, receipt, sender, nonce, status";

fn row_to_relayed(r: &sql::Row) -> Result<RelayedOp, StoreError> {
    Ok(RelayedOp {
        hash: r.text(0)?,
        chain_id: r.uint(1)?,
        op_json: r.text(2)?,
        tx_hash: r.text(3)?,
        tx_nonce: r.uint(4)?,
        max_fee: r.wei(5)?,
        priority_fee: r.wei(6)?,
        submitted_at: r.uint(7)?,
        receipt_json: r.opt_text(8)?,
        sender: r.text(9)?,
        nonce: r.text(10)?,
        status: r.text(11)?,
    })
}

/// Checks the limits and reserves in `tx` (see [`Store::reserve`]).
fn reserve_in(
    tx: &dyn Sql,
    reservation: &Reservation,
    limits: &Limits,
    notify: bool,
) -> Result<Result<i64, LimitReached>, StoreError> {
    let mut r = reservation.clone();
    let replaced = tx.query(
        "SELECT id, app, sender, window_start, max_cost FROM sponsorships
         WHERE chain_id = ?1 AND sender = ?2 AND nonce = ?3 AND status = 'reserved'",
        args![r.chain_id, &r.sender, &r.nonce],
    )?;
    for row in &replaced {
        let max_cost = row.wei(4)?;
        r.max_cost = r.max_cost.max(max_cost);
        release(
            tx,
            row.int(0)?,
            &row.text(1)?,
            r.chain_id,
            &row.text(2)?,
            row.uint(3)?,
            max_cost,
        )?;
    }
    let (reached, used) = check_usage(tx, &r, limits)?;
    if let Some(reached) = reached {
        return Ok(Err(reached));
    }
    let r = &r;
    // The usage check just read is current (replaced reservations were released before it):
    // both counters written in one statement.
    let [(sender_ops, sender_spend), (total_ops, total_spend)] = used;
    tx.execute(
        "INSERT INTO usage (app, chain_id, scope, window_start, ops, spend)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6), (?1, ?2, '*', ?4, ?7, ?8)
         ON CONFLICT (app, chain_id, scope, window_start)
         DO UPDATE SET ops = excluded.ops, spend = excluded.spend",
        args![
            &r.app,
            r.chain_id,
            &r.sender,
            r.window_start,
            sender_ops as i64 + 1,
            sender_spend.saturating_add(r.max_cost).to_string(),
            total_ops as i64 + 1,
            total_spend.saturating_add(r.max_cost).to_string()
        ],
    )?;
    let id = tx
        .query_one(
            "INSERT INTO sponsorships (app, chain_id, sender, nonce, window_start, max_cost, valid_until, status, created_at, client)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'reserved', ?8, ?9) RETURNING id",
            args![
                &r.app,
                r.chain_id,
                &r.sender,
                &r.nonce,
                r.window_start,
                r.max_cost.to_string(),
                r.valid_until,
                now(),
                &r.client
            ],
        )?
        .int(0)?;
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
    tx: &dyn Sql,
    r: &Reservation,
    limits: &Limits,
) -> Result<Option<LimitReached>, StoreError> {
    Ok(check_usage(tx, r, limits)?.0)
}

/// The sender's and the app's usage (operations, wei) in a window.
type Usage = [(u64, u128); 2];

/// The limit one more operation of `r.max_cost` would break, and the usage it read.
fn check_usage(
    tx: &dyn Sql,
    r: &Reservation,
    limits: &Limits,
) -> Result<(Option<LimitReached>, Usage), StoreError> {
    // The sender's and the app's usage in one statement, the open counts in another.
    let (mut sender_ops, mut sender_spend, mut total_ops, mut total_spend) = (0, 0, 0, 0);
    for row in tx.query(
        "SELECT scope, ops, spend FROM usage
         WHERE app = ?1 AND chain_id = ?2 AND window_start = ?3 AND scope IN (?4, '*')",
        args![&r.app, r.chain_id, r.window_start, &r.sender],
    )? {
        if row.text(0)? == GLOBAL_SCOPE {
            (total_ops, total_spend) = (row.uint(1)?, row.wei(2)?);
        } else {
            (sender_ops, sender_spend) = (row.uint(1)?, row.wei(2)?);
        }
    }
    // A reservation for the same sender and nonce would be replaced, so it does not count.
    let open = tx.query_one(
        &format!(
            "SELECT ({OPEN_FOR_SENDER}), CASE WHEN ?4 = '' THEN 0 ELSE (SELECT COUNT(*)
             FROM sponsorships WHERE chain_id = ?1 AND status = 'reserved' AND client = ?4
             AND NOT (sender = ?2 AND nonce = ?3)) END"
        ),
        args![r.chain_id, &r.sender, &r.nonce, &r.client],
    )?;
    let (open_sender, open_client) = (open.uint(0)?, open.uint(1)?);
    let reached = if open_sender >= limits.open_per_sender {
        Some(LimitReached::OpenPerSender {
            limit: limits.open_per_sender,
        })
    } else if open_client >= limits.open_per_client {
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
    tx: &dyn Sql,
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
        args![id],
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
    tx: &dyn Sql,
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
    if tx
        .query_opt(SETTLED_BY_HASH, args![chain_id, hash])?
        .is_some()
    {
        return Ok(false); // the same log read twice
    }
    let rows = tx.query(
        "SELECT id, app, status, window_start, max_cost FROM sponsorships
         WHERE chain_id = ?1 AND sender = ?2 AND nonce = ?3 AND status != 'settled' ORDER BY id DESC",
        args![chain_id, sender, nonce],
    )?;
    let mut open = Vec::with_capacity(rows.len());
    for row in &rows {
        open.push((
            row.int(0)?,
            row.text(1)?,
            row.text(2)?,
            row.uint(3)?,
            row.wei(4)?,
        ));
    }
    let Some(chosen) = open
        .iter()
        .find(|r| r.2 == "reserved")
        .or_else(|| open.first())
    else {
        return Ok(false); // not ours (another paymaster signer or app)
    };
    let (id, app, status, window, max_cost) = chosen.clone();
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
        args![id, actual.to_string(), hash, event.block],
    )?;
    if is_notified(notified, &app) {
        crate::alerts::settled_event(tx, &app, chain_id, event)?;
    }
    // Other signatures for the same nonce can never be used now.
    for (other, app, status, window, max_cost) in &open {
        if *other != id && status == "reserved" {
            release(tx, *other, app, chain_id, sender, *window, *max_cost)?;
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use harbor_devnet::postgres::TempPostgres;

    /// What keeps a test's database alive.
    #[allow(dead_code)]
    enum Keep {
        Dir(tempfile::TempDir),
        Server(TempPostgres),
    }

    /// A database on each backend: a SQLite file, and a PostgreSQL server of its own; each
    /// opened by `instances` stores (relay instances) at once.
    fn databases(instances: usize) -> Vec<(Vec<Store>, Keep)> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let sqlite = (0..instances)
            .map(|_| Store::open(&path).unwrap())
            .collect();
        let server = TempPostgres::start(false).expect("a PostgreSQL server for the tests");
        let url = server.database("relay").unwrap();
        let postgres = (0..instances)
            .map(|_| Store::open_postgres(&url).unwrap())
            .collect();
        vec![(sqlite, Keep::Dir(dir)), (postgres, Keep::Server(server))]
    }

    /// One store on each backend.
    fn stores() -> Vec<(Store, Keep)> {
        databases(1)
            .into_iter()
            .map(|(mut stores, keep)| (stores.remove(0), keep))
            .collect()
    }

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
        for (store, _keep) in stores() {
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
                store
                    .settle_range(1, &events, 10, B256::ZERO, 64, None)
                    .unwrap(),
                1
            );
            assert_eq!(
                store
                    .settle_range(1, &events, 10, B256::ZERO, 64, None)
                    .unwrap(),
                0,
                "idempotent"
            );
            assert_eq!(store.usage("app", 1, None, 0).unwrap(), (2, 500));
            assert_eq!(store.last_block(1).unwrap(), Some(10));
            // Expiry releases the unused one.
            assert_eq!(store.release_expired(1, 101, None).unwrap(), 1);
            assert_eq!(store.usage("app", 1, Some("a"), 0).unwrap(), (1, 100));
            let totals = store.totals(1).unwrap();
            assert_eq!(
                (totals.settled, totals.released, totals.reserved),
                (1, 1, 0)
            );
            assert_eq!(totals.settled_wei, 100);
        }
    }

    #[test]
    fn concurrent_reservations_never_overspend() {
        let limits = Limits {
            ops_per_sender: 1000,
            ops_total: 1000,
            spend_per_sender: 1_000_000,
            spend_total: 10_000,
            open_per_sender: 1000,
            open_per_client: 1000,
        };
        // Eight threads on three stores (instances) of one database.
        for (stores, _keep) in databases(3) {
            let stores: Vec<_> = stores.into_iter().map(std::sync::Arc::new).collect();
            let threads: Vec<_> = (0..8)
                .map(|t| {
                    let store = stores[t % stores.len()].clone();
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
            assert_eq!(granted, 10_000 / 97, "on {}", stores[0].backend());
            assert_eq!(
                stores[1].usage("app", 1, None, 0).unwrap(),
                (granted as u64, granted as u128 * 97)
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn grouped_reservations_hold_the_budget_exactly_and_are_committed_when_answered() {
        let limits = Limits {
            ops_per_sender: 3,
            ops_total: 17,
            spend_per_sender: u128::MAX,
            spend_total: u128::MAX,
            open_per_sender: 1000,
            open_per_client: 1000,
        };
        // Three instances (each a store with its own writer) and a fourth connection to check.
        for (mut stores, _keep) in databases(4) {
            let observer = stores.pop().unwrap();
            let stores: Vec<_> = stores.into_iter().map(std::sync::Arc::new).collect();
            let backend = observer.backend();
            // 200 at once against a budget of 17: they land in groups, each sees those before.
            let tasks: Vec<_> = (0..200)
                .map(|i| {
                    let store = stores[i % stores.len()].clone();
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
                    Err(other) => panic!("unexpected refusal {other:?} on {backend}"),
                }
            }
            assert_eq!((granted.len(), refused), (17, 183), "on {backend}");
            // Answered means committed: another connection sees every granted reservation.
            assert_eq!(observer.totals(1).unwrap().reserved, 17, "on {backend}");
            assert_eq!(observer.usage("app", 1, None, 0).unwrap(), (17, 170));
            // The per-sender limit holds inside one group, and across instances.
            let one_sender: Vec<_> = (0..5)
                .map(|n| {
                    let store = stores[n % stores.len()].clone();
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
            assert_eq!(solo, 3, "on {backend}");
        }
    }

    #[test]
    fn one_instance_holds_a_lease_until_it_expires_and_the_next_holder_fences_the_first() {
        for (store, _keep) in stores() {
            let ttl = std::time::Duration::from_millis(400);
            let a = store.acquire_lease("chain:1", "a", ttl).unwrap().unwrap();
            assert_eq!(a.token, 1);
            // Held: another instance is refused; the holder renews with the same token.
            assert_eq!(store.acquire_lease("chain:1", "b", ttl).unwrap(), None);
            assert_eq!(
                store.acquire_lease("chain:1", "a", ttl).unwrap(),
                Some(a.clone())
            );
            store
                .settle_range(1, &[], 5, B256::ZERO, 64, Some(&a))
                .unwrap();
            std::thread::sleep(ttl + std::time::Duration::from_millis(100));
            // Expired: the next instance takes over with a new token, and the first one's writes
            // are refused from then on.
            let b = store.acquire_lease("chain:1", "b", ttl).unwrap().unwrap();
            assert_eq!(b.token, 2);
            assert!(matches!(
                store.settle_range(1, &[], 6, B256::ZERO, 64, Some(&a)),
                Err(StoreError::LeaseLost(_))
            ));
            assert_eq!(
                store.last_block(1).unwrap(),
                Some(5),
                "the fenced write left nothing"
            );
            assert_eq!(store.acquire_lease("chain:1", "a", ttl).unwrap(), None);
            // Given up on shutdown: taken at once.
            store.release_lease(&b).unwrap();
            assert_eq!(
                store
                    .acquire_lease("chain:1", "a", ttl)
                    .unwrap()
                    .unwrap()
                    .token,
                3
            );
        }
    }

    #[test]
    fn the_lookups_on_every_request_and_event_use_their_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let _store = Store::open(&dir.path().join("db")).unwrap();
        let conn = Connection::open(dir.path().join("db")).unwrap();
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
        for (store, _keep) in stores() {
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
            store
                .settle_range(1, &events, 2, B256::ZERO, 64, None)
                .unwrap();
            // The same logs read again add nothing.
            store
                .settle_range(1, &events, 2, B256::ZERO, 64, None)
                .unwrap();
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
    }

    #[test]
    fn a_new_sponsorship_for_the_same_nonce_replaces_the_unused_one() {
        for (store, _keep) in stores() {
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
    }

    #[test]
    fn a_reorganisation_undoes_what_the_replaced_blocks_settled() {
        for (store, _keep) in stores() {
            assert!(
                store
                    .reserve(&reservation("a", "0", 400), &LIMITS)
                    .unwrap()
                    .is_ok()
            );
            let hash = B256::repeat_byte(1);
            store
                .settle_range(1, &[event("a", "0", 100, "h0", 12)], 12, hash, 64, None)
                .unwrap();
            assert_eq!(store.usage("app", 1, Some("a"), 0).unwrap(), (1, 100));
            assert_eq!(store.recent_blocks(1).unwrap(), vec![(12, hash)]);
            assert_eq!(store.rollback(1, 11, None).unwrap(), 1);
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
                    None,
                )
                .unwrap();
            assert_eq!(store.usage("app", 1, Some("a"), 0).unwrap(), (1, 120));
        }
    }

    #[test]
    fn reputation_bans_after_failures_and_resets_daily() {
        for (store, _keep) in stores() {
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
