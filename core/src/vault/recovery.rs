//! Guardian names and recoveries in progress on this device.

use super::*;

impl Vault {
    /// Saves (or renames) a guardian of `account` under the name the user gave it.
    pub fn save_guardian(
        &mut self,
        account: Address,
        guardian: &Guardian,
    ) -> Result<(), VaultError> {
        let name = clean_name(&guardian.name)?;
        self.conn.execute(
            "INSERT OR REPLACE INTO guardians (account, address, name, kind) VALUES (?1, ?2, ?3, ?4)",
            params![
                account.to_string(),
                guardian.address.to_string(),
                name,
                guardian.kind.as_str()
            ],
        )?;
        Ok(())
    }

    /// The guardians of `account` the user named, by name.
    pub fn guardians(&self, account: Address) -> Result<Vec<Guardian>, VaultError> {
        let mut stmt = self.conn.prepare(
            "SELECT address, name, kind FROM guardians WHERE account = ?1 ORDER BY name, address",
        )?;
        let rows = stmt.query_map([account.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (address, name, kind) = row?;
            Ok(Guardian {
                address: address.parse().map_err(|_| {
                    VaultError::Corrupted("a guardian address does not parse".into())
                })?,
                name,
                kind: GuardianKind::parse(&kind)
                    .ok_or_else(|| VaultError::Corrupted("unknown guardian kind".into()))?,
            })
        })
        .collect()
    }

    /// Forgets the name of a guardian of `account`. Returns whether it was known.
    pub fn remove_guardian(
        &mut self,
        account: Address,
        guardian: Address,
    ) -> Result<bool, VaultError> {
        Ok(self.conn.execute(
            "DELETE FROM guardians WHERE account = ?1 AND address = ?2",
            params![account.to_string(), guardian.to_string()],
        )? > 0)
    }

    /// Saves a recovery in progress (replacing its previous state) in one transaction.
    pub fn save_recovery(&mut self, session: &RecoverySession) -> Result<(), VaultError> {
        let state =
            serde_json::to_string(session).map_err(|e| VaultError::Storage(e.to_string()))?;
        self.conn.execute(
            "INSERT OR REPLACE INTO recoveries (id, account, state, updated_at) VALUES (?1, ?2, ?3, ?4)",
            params![session.id, session.request.account.to_string(), state, now()],
        )?;
        Ok(())
    }

    /// Recoveries in progress (and finished ones not yet removed), oldest first.
    pub fn recoveries(&self) -> Result<Vec<RecoverySession>, VaultError> {
        let mut stmt = self
            .conn
            .prepare("SELECT state FROM recoveries ORDER BY rowid")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|row| {
            serde_json::from_str(&row?)
                .map_err(|_| VaultError::Corrupted("a saved recovery does not parse".into()))
        })
        .collect()
    }

    /// Removes a saved recovery. Returns whether it existed.
    pub fn remove_recovery(&mut self, id: &str) -> Result<bool, VaultError> {
        Ok(self
            .conn
            .execute("DELETE FROM recoveries WHERE id = ?1", [id])?
            > 0)
    }
}
