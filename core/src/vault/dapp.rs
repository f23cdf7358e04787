//! Sites connected to an account (EIP-1193 sessions), the batches they sent (EIP-5792), the
//! tokens they suggested (EIP-747) and the programs paired with the local provider.

use super::*;

/// A site's connection to one account on one network.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DappSession {
    /// The site (`https://app.example.org`).
    pub origin: String,
    /// The account it sees.
    pub account: Address,
    /// The network it uses.
    pub chain_id: u64,
    /// When the person connected it (Unix seconds).
    pub granted_at: i64,
}

/// A batch a site sent (EIP-5792 `wallet_sendCalls`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DappBatch {
    /// The site.
    pub origin: String,
    /// The batch id the site knows.
    pub id: String,
    /// The network.
    pub chain_id: u64,
    /// The account that sent it.
    pub account: Address,
    /// The UserOperation, once handed to the bundler (`None`: it failed before).
    pub user_op_hash: Option<B256>,
    /// When it was sent (Unix seconds).
    pub created_at: i64,
}

/// A token a person chose to show.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchedToken {
    /// The network.
    pub chain_id: u64,
    /// The token contract.
    pub address: Address,
    /// Its symbol, as the contract reports it.
    pub symbol: String,
    /// Its decimals, as the contract reports them.
    pub decimals: u8,
}

/// A program paired with the app's local provider (a browser extension, a script).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PairedClient {
    /// Stable random id.
    pub id: String,
    /// The name it gave ("Harbor for Chromium", "my-bot").
    pub name: String,
    /// `extension` or `script`.
    pub kind: String,
    /// When the person paired it (Unix seconds).
    pub created_at: i64,
}

fn token_hash(token: &str) -> String {
    use sha2::Digest;
    alloy_primitives::hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

fn parse_address(text: &str) -> Result<Address, VaultError> {
    text.parse()
        .map_err(|_| VaultError::Corrupted("a stored address does not parse".into()))
}

impl Vault {
    /// Connects `origin` (or changes its account or network).
    pub fn save_dapp_session(&mut self, session: &DappSession) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT INTO dapp_sessions (origin, account, chain_id, granted_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (origin) DO UPDATE SET account = excluded.account, chain_id = excluded.chain_id",
            params![
                session.origin,
                session.account.to_string(),
                session.chain_id as i64,
                session.granted_at
            ],
        )?;
        Ok(())
    }

    /// Disconnects `origin`; whether it was connected.
    pub fn remove_dapp_session(&mut self, origin: &str) -> Result<bool, VaultError> {
        Ok(self.conn.execute(
            "DELETE FROM dapp_sessions WHERE origin = ?1",
            params![origin],
        )? > 0)
    }

    /// Every connected site, most recent first.
    pub fn dapp_sessions(&self) -> Result<Vec<DappSession>, VaultError> {
        let mut stmt = self.conn.prepare(
            "SELECT origin, account, chain_id, granted_at FROM dapp_sessions
             ORDER BY granted_at DESC, origin",
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
            let (origin, account, chain_id, granted_at) = row?;
            Ok(DappSession {
                origin,
                account: parse_address(&account)?,
                chain_id: chain_id as u64,
                granted_at,
            })
        })
        .collect()
    }

    /// The session of `origin`, if it is connected.
    pub fn dapp_session(&self, origin: &str) -> Result<Option<DappSession>, VaultError> {
        Ok(self
            .dapp_sessions()?
            .into_iter()
            .find(|s| s.origin == origin))
    }

    /// Records a batch; `false` when the site already used that id.
    pub fn add_dapp_batch(&mut self, batch: &DappBatch) -> Result<bool, VaultError> {
        let n = self.conn.execute(
            "INSERT INTO dapp_batches (origin, id, chain_id, account, user_op_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            params![
                batch.origin,
                batch.id,
                batch.chain_id as i64,
                batch.account.to_string(),
                batch.user_op_hash.map(|h| h.to_string()),
                batch.created_at
            ],
        )?;
        Ok(n > 0)
    }

    /// Sets the UserOperation of a recorded batch.
    pub fn set_dapp_batch_operation(
        &mut self,
        origin: &str,
        id: &str,
        user_op_hash: B256,
    ) -> Result<(), VaultError> {
        self.conn.execute(
            "UPDATE dapp_batches SET user_op_hash = ?3 WHERE origin = ?1 AND id = ?2",
            params![origin, id, user_op_hash.to_string()],
        )?;
        Ok(())
    }

    /// Forgets a batch that never reached the bundler (so its id can be used again).
    pub fn remove_dapp_batch(&mut self, origin: &str, id: &str) -> Result<(), VaultError> {
        self.conn.execute(
            "DELETE FROM dapp_batches WHERE origin = ?1 AND id = ?2",
            params![origin, id],
        )?;
        Ok(())
    }

    /// The batch `id` of `origin`.
    pub fn dapp_batch(&self, origin: &str, id: &str) -> Result<Option<DappBatch>, VaultError> {
        let row = self
            .conn
            .query_row(
                "SELECT chain_id, account, user_op_hash, created_at FROM dapp_batches
                 WHERE origin = ?1 AND id = ?2",
                params![origin, id],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(chain_id, account, hash, created_at)| {
            Ok(DappBatch {
                origin: origin.to_owned(),
                id: id.to_owned(),
                chain_id: chain_id as u64,
                account: parse_address(&account)?,
                user_op_hash: hash
                    .map(|h| {
                        h.parse().map_err(|_| {
                            VaultError::Corrupted("a stored hash does not parse".into())
                        })
                    })
                    .transpose()?,
                created_at,
            })
        })
        .transpose()
    }

    /// Adds a token to show (or updates its symbol and decimals).
    pub fn watch_token(&mut self, token: &WatchedToken) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT INTO watched_tokens (chain_id, address, symbol, decimals) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (chain_id, address) DO UPDATE SET symbol = excluded.symbol, decimals = excluded.decimals",
            params![
                token.chain_id as i64,
                token.address.to_string(),
                token.symbol,
                i64::from(token.decimals)
            ],
        )?;
        Ok(())
    }

    /// The tokens shown on `chain_id`.
    pub fn watched_tokens(&self, chain_id: u64) -> Result<Vec<WatchedToken>, VaultError> {
        let mut stmt = self.conn.prepare(
            "SELECT address, symbol, decimals FROM watched_tokens WHERE chain_id = ?1 ORDER BY symbol",
        )?;
        let rows = stmt.query_map(params![chain_id as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (address, symbol, decimals) = row?;
            Ok(WatchedToken {
                chain_id,
                address: parse_address(&address)?,
                symbol,
                decimals: u8::try_from(decimals)
                    .map_err(|_| VaultError::Corrupted("stored decimals out of range".into()))?,
            })
        })
        .collect()
    }

    /// Pairs a client: keeps `token`'s hash, never the token.
    pub fn add_paired_client(
        &mut self,
        client: &PairedClient,
        token: &str,
    ) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT INTO paired_clients (id, name, kind, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![client.id, client.name, client.kind, token_hash(token), client.created_at],
        )?;
        Ok(())
    }

    /// The client holding `token`, if one is paired (readable while locked).
    pub fn paired_client_by_token(&self, token: &str) -> Result<Option<PairedClient>, VaultError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, name, kind, created_at FROM paired_clients WHERE token_hash = ?1",
                params![token_hash(token)],
                |r| {
                    Ok(PairedClient {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        kind: r.get(2)?,
                        created_at: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Every paired client, newest first.
    pub fn paired_clients(&self) -> Result<Vec<PairedClient>, VaultError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, kind, created_at FROM paired_clients ORDER BY created_at DESC, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PairedClient {
                id: r.get(0)?,
                name: r.get(1)?,
                kind: r.get(2)?,
                created_at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Unpairs a client; whether it was paired.
    pub fn remove_paired_client(&mut self, id: &str) -> Result<bool, VaultError> {
        Ok(self
            .conn
            .execute("DELETE FROM paired_clients WHERE id = ?1", params![id])?
            > 0)
    }
}
