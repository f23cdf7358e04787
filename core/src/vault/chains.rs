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

    /// The built-in networks merged with the stored custom ones.
    pub fn chain_registry(&self) -> Result<ChainRegistry, VaultError> {
        Ok(ChainRegistry::new(self.custom_chains()?))
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
