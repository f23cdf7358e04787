//! Leases: which relay instance does a chain's single-writer work — reading its logs into the
//! accounts, and submitting bundles from the relayer key (one nonce sequence). A lease is held
//! for a time and renewed while its holder lives; when the holder dies, another instance takes
//! it once it expires. Each change of hands increments the lease's fencing token, and the
//! holder's writes check the token in their own transaction, so an instance that lost its lease
//! (paused past the expiry) cannot write after its successor.

use std::time::Duration;

use super::sql::{Sql, args};
use super::{Store, StoreError};

/// A lease held: its name and fencing token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// The lease's name.
    pub name: String,
    /// Its fencing token when it was taken.
    pub token: i64,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Whether `fence` still holds (checked inside a write transaction, which no successor can
/// interleave with).
pub(crate) fn holds(tx: &dyn Sql, fence: &Fence) -> Result<bool, StoreError> {
    Ok(tx
        .query_opt(
            "SELECT token FROM leases WHERE name = ?1 AND token = ?2 AND expires_at > ?3",
            args![&fence.name, fence.token, now_ms()],
        )?
        .is_some())
}

/// Fails with [`StoreError::LeaseLost`] unless `fence` (when given) still holds.
pub(crate) fn check(tx: &dyn Sql, fence: Option<&Fence>) -> Result<(), StoreError> {
    match fence {
        Some(fence) if !holds(tx, fence)? => Err(StoreError::LeaseLost(fence.name.clone())),
        _ => Ok(()),
    }
}

impl Store {
    /// Takes the lease `name` for `holder` for `ttl`, or renews it if `holder` has it; `None`
    /// while another holder's lease runs.
    pub fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<Fence>, StoreError> {
        let now = now_ms();
        let until = now.saturating_add(ttl.as_millis() as i64);
        self.with(|tx| {
            let token = match tx.query_opt(
                "SELECT holder, token, expires_at FROM leases WHERE name = ?1",
                args![name],
            )? {
                None => {
                    tx.execute(
                        "INSERT INTO leases (name, holder, token, expires_at) VALUES (?1, ?2, 1, ?3)",
                        args![name, holder, until],
                    )?;
                    1
                }
                Some(row) if row.text(0)? == holder => {
                    tx.execute(
                        "UPDATE leases SET expires_at = ?2 WHERE name = ?1",
                        args![name, until],
                    )?;
                    row.int(1)?
                }
                Some(row) if row.int(2)? <= now => {
                    let token = row.int(1)? + 1;
                    tx.execute(
                        "UPDATE leases SET holder = ?2, token = ?3, expires_at = ?4 WHERE name = ?1",
                        args![name, holder, token, until],
                    )?;
                    tracing::info!(lease = name, holder, token, "lease taken over");
                    token
                }
                Some(_) => return Ok(None),
            };
            Ok(Some(Fence {
                name: name.to_owned(),
                token,
            }))
        })
    }

    /// Gives the lease up (on shutdown), so another instance need not wait for it to expire.
    pub fn release_lease(&self, fence: &Fence) -> Result<(), StoreError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE leases SET expires_at = 0 WHERE name = ?1 AND token = ?2",
                args![&fence.name, fence.token],
            )?;
            Ok(())
        })
    }

    /// Who holds the lease `name` and until when (unix milliseconds), if anyone ever did.
    pub fn lease_holder(&self, name: &str) -> Result<Option<(String, i64, i64)>, StoreError> {
        self.read(|tx| {
            tx.query_opt(
                "SELECT holder, token, expires_at FROM leases WHERE name = ?1",
                args![name],
            )?
            .map(|row| Ok((row.text(0)?, row.int(1)?, row.int(2)?)))
            .transpose()
        })
    }
}
