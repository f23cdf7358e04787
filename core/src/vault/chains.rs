//! The user's networks, merged with the built-in ones.

use super::*;

impl Vault {
    /// The user's custom networks and overrides of built-in ones.
    pub fn custom_chains(&self) -> Result<Vec<Chain>, VaultError> {
        let mut stmt = self
            .conn
            .prepare("SELECT definition FROM chains ORDER BY chain_id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|row| {
            serde_json::from_str(&row?)
                .map_err(|_| VaultError::Corrupted("a network definition does not parse".into()))
        })
        .collect()
    }

    /// The built-in networks merged with the stored custom ones and the sponsors' networks.
    pub fn chain_registry(&self) -> Result<ChainRegistry, VaultError> {
        Ok(ChainRegistry::new(self.custom_chains()?).with_sponsors(self.sponsors()?))
    }

    /// The gas sponsors added, oldest first.
    pub fn sponsors(&self) -> Result<Vec<Sponsor>, VaultError> {
        let mut stmt = self.conn.prepare(
            "SELECT link, profile, added_at, alerts_after FROM sponsors ORDER BY added_at, link",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        rows.map(|row| {
            let (link, profile, added_at, alerts_after) = row?;
            let profile = serde_json::from_str(&profile)
                .map_err(|_| VaultError::Corrupted("a sponsor profile does not parse".into()))?;
            Ok(Sponsor {
                link,
                profile,
                added_at: u64::try_from(added_at).unwrap_or_default(),
                alerts_after,
            })
        })
        .collect()
    }

    /// Adds a sponsor, or refreshes the profile of one added with the same link (it keeps its
    /// place).
    pub fn save_sponsor(&mut self, link: &str, profile: &SponsorProfile) -> Result<(), VaultError> {
        let text =
            serde_json::to_string(profile).map_err(|e| VaultError::Storage(e.to_string()))?;
        self.conn.execute(
            "INSERT INTO sponsors (link, profile, added_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (link) DO UPDATE SET profile = excluded.profile",
            params![link, text, now()],
        )?;
        Ok(())
    }

    /// Remembers the last recovery alert read from the sponsor added with `link`.
    pub fn set_sponsor_alerts_after(&mut self, link: &str, after: i64) -> Result<(), VaultError> {
        self.conn.execute(
            "UPDATE sponsors SET alerts_after = ?2 WHERE link = ?1",
            params![link, after],
        )?;
        Ok(())
    }

    /// Removes the sponsor added with `link`; returns whether there was one.
    pub fn remove_sponsor(&mut self, link: &str) -> Result<bool, VaultError> {
        Ok(self
            .conn
            .execute("DELETE FROM sponsors WHERE link = ?1", [link])?
            > 0)
    }

    /// Adds a network or edits an existing one.
    pub fn save_chain(&mut self, chain: &Chain) -> Result<(), VaultError> {
        chain.validate()?;
        let definition =
            serde_json::to_string(chain).map_err(|e| VaultError::Storage(e.to_string()))?;
        self.conn.execute(
            "INSERT OR REPLACE INTO chains (chain_id, definition) VALUES (?1, ?2)",
            params![chain.chain_id as i64, definition],
        )?;
        Ok(())
    }

    /// Removes a custom network, or resets an edited built-in one. Returns whether a built-in was
    /// reset.
    pub fn remove_chain(&mut self, chain_id: u64) -> Result<bool, VaultError> {
        let mut registry = self.chain_registry()?;
        let reset_builtin = registry.remove(chain_id)?;
        self.conn
            .execute("DELETE FROM chains WHERE chain_id = ?1", [chain_id as i64])?;
        Ok(reset_builtin)
    }
}
