//! The activity list: operations sent from this vault's accounts.

use super::*;

impl Vault {
    /// Adds an operation to the activity list, or updates it (same id).
    pub fn record_activity(&mut self, entry: &ActivityEntry) -> Result<(), VaultError> {
        let json = serde_json::to_string(entry).map_err(|e| VaultError::Storage(e.to_string()))?;
        self.conn.execute(
            "INSERT INTO activity (id, chain_id, account, entry, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET entry = excluded.entry",
            params![
                entry.id,
                entry.chain_id as i64,
                entry.account.to_string(),
                json,
                entry.created_at
            ],
        )?;
        Ok(())
    }

    /// The activity of `account` (of every account when `None`), newest first, at most `limit`.
    pub fn activity(
        &self,
        account: Option<Address>,
        limit: u32,
    ) -> Result<Vec<ActivityEntry>, VaultError> {
        let mut stmt = self.conn.prepare(
            "SELECT entry FROM activity WHERE ?1 IS NULL OR account = ?1
             ORDER BY created_at DESC, rowid DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(
            params![account.map(|a| a.to_string()), i64::from(limit)],
            |r| r.get::<_, String>(0),
        )?;
        rows.map(|row| {
            serde_json::from_str(&row?)
                .map_err(|_| VaultError::Corrupted("an activity entry does not parse".into()))
        })
        .collect()
    }
}
