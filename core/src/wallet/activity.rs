//! Past operations of an account, with what the person needs to read them: the network's name,
//! the gas in its coin, the explorer link.

use alloy_primitives::{Address, U256};

use super::{Wallet, WalletResult};
use crate::tokens;
use crate::vault::ActivityEntry;

/// How many operations the activity list shows.
const ACTIVITY_LIMIT: u32 = 200;

/// One operation in the activity list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// The operation as recorded.
    pub entry: ActivityEntry,
    /// The network's name.
    pub chain_name: String,
    /// The network's coin (what gas is paid in).
    pub gas_symbol: String,
    /// The gas it cost, formatted in that coin.
    pub gas_cost: Option<String>,
    /// A link to its transaction on the network's explorer.
    pub explorer_url: Option<String>,
}

impl Wallet {
    /// Past operations of `account` (all accounts when `None`), newest first, at most `limit`
    /// (the app's default when `None`).
    pub fn activity(
        &self,
        account: Option<Address>,
        limit: Option<u32>,
    ) -> WalletResult<Vec<Activity>> {
        let registry = self.registry()?;
        let limit = limit.unwrap_or(ACTIVITY_LIMIT);
        let entries = self.unlocked(|v| Ok(v.activity(account, limit)?))?;
        Ok(entries
            .into_iter()
            .map(|entry| {
                let chain = registry.get(entry.chain_id).ok();
                Activity {
                    chain_name: self.chain_name(&registry, entry.chain_id),
                    gas_symbol: chain
                        .map(|c| c.native_currency.symbol.clone())
                        .unwrap_or_else(|| "ETH".into()),
                    gas_cost: entry
                        .gas_cost_wei
                        .as_deref()
                        .and_then(|w| w.parse::<U256>().ok())
                        .map(|w| tokens::format_amount(w, 18)),
                    explorer_url: entry
                        .transaction_hash
                        .as_deref()
                        .and_then(|h| chain.and_then(|c| c.explorer_tx_url(h))),
                    entry,
                }
            })
            .collect())
    }
}
