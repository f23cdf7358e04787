//! The relay's state in SQLite: sponsorship reservations, usage counters per window, relayed
//! UserOperations and how far each chain's logs were read.
//!
//! Every change that must stay consistent happens in one `BEGIN IMMEDIATE` transaction, so
//! concurrent requests (and several relay processes on one file) never overspend a limit.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

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
}

/// The SQLite store.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sponsorships (
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
);
";

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
    tx: &rusqlite::Transaction<'_>,
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
    tx: &rusqlite::Transaction<'_>,
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
    tx.prepare_cached(
        "INSERT INTO usage (app, chain_id, scope, window_start, ops, spend) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (app, chain_id, scope, window_start) DO UPDATE SET ops = ?5, spend = ?6",
    )?
    .execute(params![app, chain_id as i64, scope, window as i64, new_ops, new_spend.to_string()])?;
    Ok(())
}

impl Store {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        // WAL + NORMAL: durable across process crashes (the failure the relay must survive);
        // a power loss may drop the last transactions, which the log scan then replays.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.lock().map_err(|_| StoreError::Poisoned)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
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
        self.with(|tx| usage(tx, app, chain_id, sender.unwrap_or(GLOBAL_SCOPE), window))
    }

    /// Checks `limits` for one more operation of `cost` wei without reserving anything.
    pub fn check(
        &self,
        reservation: &Reservation,
        limits: &Limits,
    ) -> Result<Option<LimitReached>, StoreError> {
        self.with(|tx| check(tx, reservation, limits))
    }

    /// Atomically checks the limits and reserves the sponsorship; returns its id.
    pub fn reserve(
        &self,
        reservation: &Reservation,
        limits: &Limits,
    ) -> Result<Result<i64, LimitReached>, StoreError> {
        self.with(|tx| {
            if let Some(reached) = check(tx, reservation, limits)? {
                return Ok(Err(reached));
            }
            let r = reservation;
            for scope in [r.sender.as_str(), GLOBAL_SCOPE] {
                adjust(
                    tx,
                    &r.app,
                    r.chain_id,
                    scope,
                    r.window_start,
                    1,
                    r.max_cost as i128,
                )?;
            }
            tx.prepare_cached(
                "INSERT INTO sponsorships (app, chain_id, sender, nonce, window_start, max_cost, valid_until, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'reserved', ?8)",
            )?
            .execute(params![
                    r.app,
                    r.chain_id as i64,
                    r.sender,
                    r.nonce,
                    r.window_start as i64,
                    r.max_cost.to_string(),
                    r.valid_until as i64,
                    now() as i64
                ],
            )?;
            Ok(Ok(tx.last_insert_rowid()))
        })
    }

    /// Records the UserOperationEvents of blocks up to `last_block` in one transaction: each
    /// `(sender, nonce, actual_cost, user_op_hash)` settles its reservation.
    pub fn settle_range(
        &self,
        chain_id: u64,
        events: &[(String, String, u128, String)],
        last_block: u64,
    ) -> Result<usize, StoreError> {
        self.with(|tx| {
            let mut settled = 0;
            for (sender, nonce, actual, hash) in events {
                if settle_one(tx, chain_id, sender, nonce, *actual, hash)? {
                    settled += 1;
                }
            }
            tx.execute(
                "INSERT INTO chain_state (chain_id, last_block) VALUES (?1, ?2)
                 ON CONFLICT (chain_id) DO UPDATE SET last_block = MAX(last_block, ?2)",
                params![chain_id as i64, last_block as i64],
            )?;
            Ok(settled)
        })
    }

    /// The last block whose logs were processed for `chain_id`.
    pub fn last_block(&self, chain_id: u64) -> Result<Option<u64>, StoreError> {
        self.with(|tx| {
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
        self.with(|tx| {
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
                "INSERT INTO user_ops (hash, chain_id, op, tx_hash, tx_nonce, max_fee, priority_fee, submitted_at, receipt)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (hash) DO UPDATE SET tx_hash = ?4, tx_nonce = ?5, max_fee = ?6, priority_fee = ?7, submitted_at = ?8, receipt = ?9",
                params![
                    op.hash,
                    op.chain_id as i64,
                    op.op_json,
                    op.tx_hash,
                    op.tx_nonce as i64,
                    op.max_fee.to_string(),
                    op.priority_fee.to_string(),
                    op.submitted_at as i64,
                    op.receipt_json
                ],
            )?;
            Ok(())
        })
    }

    /// A relayed UserOperation by hash.
    pub fn relayed(&self, hash: &str) -> Result<Option<RelayedOp>, StoreError> {
        self.with(|tx| {
            tx.query_row(
                "SELECT hash, chain_id, op, tx_hash, tx_nonce, max_fee, priority_fee, submitted_at, receipt FROM user_ops WHERE hash = ?1",
                params![hash],
                row_to_relayed,
            )
            .optional()
            .map_err(StoreError::from)?
            .map(|r| r.map_err(StoreError::Corrupt))
            .transpose()
        })
    }

    /// Relayed operations of `chain_id` still without receipt.
    pub fn pending_relayed(&self, chain_id: u64) -> Result<Vec<RelayedOp>, StoreError> {
        self.with(|tx| {
            let mut stmt = tx.prepare(
                "SELECT hash, chain_id, op, tx_hash, tx_nonce, max_fee, priority_fee, submitted_at, receipt
                 FROM user_ops WHERE chain_id = ?1 AND receipt IS NULL ORDER BY tx_nonce",
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
        })
    })();
    Ok(op)
}

fn check(
    tx: &rusqlite::Transaction<'_>,
    r: &Reservation,
    limits: &Limits,
) -> Result<Option<LimitReached>, StoreError> {
    let (sender_ops, sender_spend) = usage(tx, &r.app, r.chain_id, &r.sender, r.window_start)?;
    let (total_ops, total_spend) = usage(tx, &r.app, r.chain_id, GLOBAL_SCOPE, r.window_start)?;
    Ok(if sender_ops >= limits.ops_per_sender {
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
    })
}

fn release(
    tx: &rusqlite::Transaction<'_>,
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

fn settle_one(
    tx: &rusqlite::Transaction<'_>,
    chain_id: u64,
    sender: &str,
    nonce: &str,
    actual: u128,
    hash: &str,
) -> Result<bool, StoreError> {
    let already: Option<i64> = tx
        .query_row(
            "SELECT id FROM sponsorships WHERE chain_id = ?1 AND user_op_hash = ?2",
            params![chain_id as i64, hash],
            |r| r.get(0),
        )
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
        "UPDATE sponsorships SET status = 'settled', actual_cost = ?2, user_op_hash = ?3 WHERE id = ?1",
        params![id, actual.to_string(), hash],
    )?;
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
        }
    }

    const LIMITS: Limits = Limits {
        ops_per_sender: 2,
        ops_total: 3,
        spend_per_sender: 1000,
        spend_total: 1500,
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
        let events = vec![("a".to_string(), "0".to_string(), 100u128, "h0".to_string())];
        assert_eq!(store.settle_range(1, &events, 10).unwrap(), 1);
        assert_eq!(store.settle_range(1, &events, 10).unwrap(), 0, "idempotent");
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
}
