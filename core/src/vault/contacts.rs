//! The address book: named contacts and past recipients.

use super::*;

impl Vault {
    /// Adds or renames an address-book entry.
    pub fn save_contact(&mut self, address: Address, name: &str) -> Result<(), VaultError> {
        let name = crate::contacts::clean_contact_name(name).ok_or(VaultError::InvalidName)?;
        self.conn.execute(
            "INSERT INTO contacts (address, name) VALUES (?1, ?2)
             ON CONFLICT (address) DO UPDATE SET name = excluded.name",
            params![address.to_string(), name],
        )?;
        Ok(())
    }

    /// Records that `address` was sent to at `at` (Unix seconds), keeping any name.
    pub fn note_recipient(&mut self, address: Address, at: i64) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT INTO contacts (address, last_sent_at) VALUES (?1, ?2)
             ON CONFLICT (address) DO UPDATE SET last_sent_at = excluded.last_sent_at",
            params![address.to_string(), at],
        )?;
        Ok(())
    }

    /// Removes an address from the address book (and from the past recipients).
    pub fn remove_contact(&mut self, address: Address) -> Result<bool, VaultError> {
        let n = self.conn.execute(
            "DELETE FROM contacts WHERE address = ?1",
            params![address.to_string()],
        )?;
        Ok(n > 0)
    }

    /// The address book: named contacts first (by name), then past recipients (newest first).
    pub fn contacts(&self) -> Result<Vec<crate::contacts::Contact>, VaultError> {
        let mut stmt = self.conn.prepare(
            "SELECT address, name, last_sent_at FROM contacts
             ORDER BY name IS NULL, name, last_sent_at DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (address, name, last_sent_at) = row?;
            let address = address
                .parse()
                .map_err(|_| VaultError::Corrupted("a contact address does not parse".into()))?;
            Ok(crate::contacts::Contact {
                address,
                name,
                last_sent_at,
            })
        })
        .collect()
    }
}
