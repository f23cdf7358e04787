//! What an approval screen says about a pending request, in the person's language: who asks,
//! what, on which network, who pays, what leaves the account, and what looks dangerous.

use alloy_primitives::{Address, U256};
use serde::{Deserialize, Serialize};

use super::assets::{AssetChange, AssetKind, Grant};
use super::siwe::{SiweFlag, SiweMessage};
use crate::tokens::format_amount;

/// The languages summaries are written in (the desktop app's languages).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SummaryLanguage {
    /// English.
    #[default]
    #[serde(rename = "en")]
    En,
    /// Simplified Chinese.
    #[serde(rename = "zh-Hans")]
    ZhHans,
    /// Traditional Chinese.
    #[serde(rename = "zh-Hant")]
    ZhHant,
}

/// What kind of request an approval screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RequestKind {
    /// Connect the site to an account.
    Connect,
    /// Sign-In with Ethereum.
    SignIn,
    /// Sign a message.
    Message,
    /// Sign EIP-712 typed data.
    TypedData,
    /// Send calls from the account.
    Calls,
    /// Switch the site's network.
    SwitchChain,
    /// Add a network.
    AddChain,
    /// Show a token.
    WatchAsset,
}

impl RequestKind {
    /// The kind's stable name (`signIn`), as user interfaces branch on it.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Connect => "connect",
            RequestKind::SignIn => "signIn",
            RequestKind::Message => "message",
            RequestKind::TypedData => "typedData",
            RequestKind::Calls => "calls",
            RequestKind::SwitchChain => "switchChain",
            RequestKind::AddChain => "addChain",
            RequestKind::WatchAsset => "watchAsset",
        }
    }
}

/// A pending request in plain words, plus the structured facts behind them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The site that asks.
    pub origin: String,
    /// What it asks for.
    pub kind: RequestKind,
    /// One line: who asks what.
    pub title: String,
    /// The details, in the order to show them.
    pub lines: Vec<String>,
    /// What looks dangerous, loudest first (empty: nothing did).
    pub warnings: Vec<String>,
    /// The network.
    pub chain_id: Option<u64>,
    /// Its name.
    pub chain_name: Option<String>,
    /// Who pays the gas, as a sentence (sends only).
    pub payer: Option<String>,
    /// The sign-in, when the message is one.
    pub siwe: Option<SiweMessage>,
    /// What is wrong with the sign-in.
    pub siwe_flags: Vec<SiweFlag>,
    /// Assets in and out of the account (simulated).
    pub asset_changes: Vec<AssetChange>,
    /// Spending rights granted.
    pub grants: Vec<Grant>,
    /// Why the calls would fail, when the simulation reverted.
    pub reverted: Option<String>,
}

/// A sentence of the approval screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phrase {
    /// `{origin}` wants to connect.
    ConnectTitle,
    /// It will see `{account}` on `{chain}`.
    ConnectLine,
    /// Sign in to `{domain}`.
    SignInTitle,
    /// `{origin}` asks for a message signature.
    MessageTitle,
    /// Signing is free.
    MessageFree,
    /// `{origin}` asks for a `{type}` signature.
    TypedTitle,
    /// `{app}` named in typed data.
    TypedApp,
    /// `{address}` contract in typed data.
    TypedContract,
    /// `{origin}` asks for `{n}` calls.
    CallsTitle,
    /// Call `{n}` to `{to}` with `{amount}`.
    CallLine,
    /// Out: `{amount}` `{asset}` to `{to}`.
    SendOut,
    /// In: `{amount}` `{asset}` from `{from}`.
    ReceiveIn,
    /// `{spender}` may spend `{amount}` `{asset}`.
    GrantLine,
    /// `{spender}` may move every `{asset}`.
    GrantAll,
    /// `{spender}` loses its right over `{asset}`.
    GrantRevoke,
    /// Until `{date}`.
    Until,
    /// Unlimited grant warning.
    UnlimitedWarning,
    /// The simulation reverted: `{reason}`.
    RevertWarning,
    /// Nothing leaves the account.
    NoChanges,
    /// No simulation.
    SimulationUnavailable,
    /// Gas paid by `{sponsor}`.
    PaidBySponsor,
    /// Gas paid by the site's paymaster at `{host}`.
    PaidBySite,
    /// Gas paid by the account in `{symbol}`.
    PaidByAccount,
    /// Network `{chain}`.
    OnChain,
    /// Sign-in for `{domain}` asked by `{origin}`.
    SiweDomain,
    /// Sign-in names another account.
    SiweAddress,
    /// Sign-in for chain `{message}` on `{session}`.
    SiweChain,
    /// Sign-in expired.
    SiweExpired,
    /// Sign-in not valid yet.
    SiweNotYet,
    /// `{origin}` asks to switch to `{chain}`.
    SwitchTitle,
    /// `{origin}` asks to add `{chain}`.
    AddTitle,
    /// Node `{url}`.
    AddLine,
    /// `{origin}` suggests the token `{symbol}`.
    WatchTitle,
}

/// The template of `phrase` in `lang`, with `{name}` placeholders.
pub fn template(lang: SummaryLanguage, phrase: Phrase) -> &'static str {
    use Phrase::*;
    use SummaryLanguage::*;
    match (phrase, lang) {
        (ConnectTitle, En) => "{origin} wants to connect to Harbor",
        (ConnectTitle, ZhHans) => "{origin} 请求连接 Harbor",
        (ConnectTitle, ZhHant) => "{origin} 請求連線 Harbor",
        (ConnectLine, En) => "It will see your account {account} on {chain}.",
        (ConnectLine, ZhHans) => "它将看到您在 {chain} 上的账户 {account}。",
        (ConnectLine, ZhHant) => "它將看到您在 {chain} 上的帳戶 {account}。",
        (SignInTitle, En) => "Sign in to {domain}",
        (SignInTitle, ZhHans) => "登录 {domain}",
        (SignInTitle, ZhHant) => "登入 {domain}",
        (MessageTitle, En) => "{origin} asks you to sign a message",
        (MessageTitle, ZhHans) => "{origin} 请求您签署一条消息",
        (MessageTitle, ZhHant) => "{origin} 請求您簽署一則訊息",
        (MessageFree, En) => "Signing costs nothing and moves no funds.",
        (MessageFree, ZhHans) => "签名不花费任何费用，也不会转移资金。",
        (MessageFree, ZhHant) => "簽名不花費任何費用，也不會轉移資金。",
        (TypedTitle, En) => "{origin} asks you to sign “{type}”",
        (TypedTitle, ZhHans) => "{origin} 请求您签署“{type}”",
        (TypedTitle, ZhHant) => "{origin} 請求您簽署「{type}」",
        (TypedApp, En) => "App: {app}",
        (TypedApp, ZhHans) => "应用：{app}",
        (TypedApp, ZhHant) => "應用：{app}",
        (TypedContract, En) => "Contract: {address}",
        (TypedContract, ZhHans) => "合约：{address}",
        (TypedContract, ZhHant) => "合約：{address}",
        (CallsTitle, En) => "{origin} asks your account to make {n} call(s)",
        (CallsTitle, ZhHans) => "{origin} 请求您的账户执行 {n} 笔调用",
        (CallsTitle, ZhHant) => "{origin} 請求您的帳戶執行 {n} 筆呼叫",
        (CallLine, En) => "Call {n}: {to}, sending {amount}",
        (CallLine, ZhHans) => "调用 {n}：{to}，发送 {amount}",
        (CallLine, ZhHant) => "呼叫 {n}：{to}，發送 {amount}",
        (SendOut, En) => "You send {amount} {asset} to {to}",
        (SendOut, ZhHans) => "您将发送 {amount} {asset} 给 {to}",
        (SendOut, ZhHant) => "您將發送 {amount} {asset} 給 {to}",
        (ReceiveIn, En) => "You receive {amount} {asset} from {from}",
        (ReceiveIn, ZhHans) => "您将从 {from} 收到 {amount} {asset}",
        (ReceiveIn, ZhHant) => "您將從 {from} 收到 {amount} {asset}",
        (GrantLine, En) => "{spender} may spend up to {amount} of your {asset}",
        (GrantLine, ZhHans) => "{spender} 最多可花费您 {amount} 的 {asset}",
        (GrantLine, ZhHant) => "{spender} 最多可花費您 {amount} 的 {asset}",
        (GrantAll, En) => "{spender} may move all of your {asset}",
        (GrantAll, ZhHans) => "{spender} 可转移您全部的 {asset}",
        (GrantAll, ZhHant) => "{spender} 可轉移您全部的 {asset}",
        (GrantRevoke, En) => "{spender} loses the right to spend your {asset}",
        (GrantRevoke, ZhHans) => "{spender} 将失去花费您 {asset} 的权限",
        (GrantRevoke, ZhHant) => "{spender} 將失去花費您 {asset} 的權限",
        (Until, En) => " until {date}",
        (Until, ZhHans) => "（至 {date}）",
        (Until, ZhHant) => "（至 {date}）",
        (UnlimitedWarning, En) => {
            "Unlimited: {spender} could take all of your {asset} at any time, now or later."
        }
        (UnlimitedWarning, ZhHans) => "无限额度：{spender} 可随时取走您全部的 {asset}。",
        (UnlimitedWarning, ZhHant) => "無限額度：{spender} 可隨時取走您全部的 {asset}。",
        (RevertWarning, En) => "This will fail: {reason}",
        (RevertWarning, ZhHans) => "此操作将失败：{reason}",
        (RevertWarning, ZhHant) => "此操作將失敗：{reason}",
        (NoChanges, En) => "No assets leave your account.",
        (NoChanges, ZhHans) => "没有资产离开您的账户。",
        (NoChanges, ZhHant) => "沒有資產離開您的帳戶。",
        (SimulationUnavailable, En) => {
            "Harbor could not simulate this on the network; check it carefully."
        }
        (SimulationUnavailable, ZhHans) => "Harbor 无法在网络上模拟此操作，请仔细检查。",
        (SimulationUnavailable, ZhHant) => "Harbor 無法在網路上模擬此操作，請仔細檢查。",
        (PaidBySponsor, En) => "Gas is paid by {sponsor}.",
        (PaidBySponsor, ZhHans) => "Gas 费由 {sponsor} 支付。",
        (PaidBySponsor, ZhHant) => "Gas 費由 {sponsor} 支付。",
        (PaidBySite, En) => "Gas is paid by the site's sponsor ({host}).",
        (PaidBySite, ZhHans) => "Gas 费由该网站的赞助方（{host}）支付。",
        (PaidBySite, ZhHant) => "Gas 費由該網站的贊助方（{host}）支付。",
        (PaidByAccount, En) => "Your account pays the gas in {symbol}.",
        (PaidByAccount, ZhHans) => "您的账户以 {symbol} 支付 Gas 费。",
        (PaidByAccount, ZhHant) => "您的帳戶以 {symbol} 支付 Gas 費。",
        (OnChain, En) => "Network: {chain}",
        (OnChain, ZhHans) => "网络：{chain}",
        (OnChain, ZhHant) => "網路：{chain}",
        (SiweDomain, En) => {
            "Likely phishing: this sign-in is for {domain}, but {origin} is asking for it."
        }
        (SiweDomain, ZhHans) => "疑似网络钓鱼：此登录属于 {domain}，但请求来自 {origin}。",
        (SiweDomain, ZhHant) => "疑似網路釣魚：此登入屬於 {domain}，但請求來自 {origin}。",
        (SiweAddress, En) => "This sign-in names another account than yours.",
        (SiweAddress, ZhHans) => "此登录指向的不是您的账户。",
        (SiweAddress, ZhHant) => "此登入指向的不是您的帳戶。",
        (SiweChain, En) => {
            "This sign-in is for chain {message}, but the site uses chain {session}."
        }
        (SiweChain, ZhHans) => "此登录针对链 {message}，但该网站使用链 {session}。",
        (SiweChain, ZhHant) => "此登入針對鏈 {message}，但該網站使用鏈 {session}。",
        (SiweExpired, En) => "This sign-in has expired.",
        (SiweExpired, ZhHans) => "此登录已过期。",
        (SiweExpired, ZhHant) => "此登入已過期。",
        (SiweNotYet, En) => "This sign-in is not valid yet.",
        (SiweNotYet, ZhHans) => "此登录尚未生效。",
        (SiweNotYet, ZhHant) => "此登入尚未生效。",
        (SwitchTitle, En) => "{origin} asks to switch to {chain}",
        (SwitchTitle, ZhHans) => "{origin} 请求切换到 {chain}",
        (SwitchTitle, ZhHant) => "{origin} 請求切換到 {chain}",
        (AddTitle, En) => "{origin} asks to add the network {chain}",
        (AddTitle, ZhHans) => "{origin} 请求添加网络 {chain}",
        (AddTitle, ZhHant) => "{origin} 請求新增網路 {chain}",
        (AddLine, En) => "Node: {url}",
        (AddLine, ZhHans) => "节点：{url}",
        (AddLine, ZhHant) => "節點：{url}",
        (WatchTitle, En) => "{origin} suggests showing the token {symbol}",
        (WatchTitle, ZhHans) => "{origin} 建议显示代币 {symbol}",
        (WatchTitle, ZhHant) => "{origin} 建議顯示代幣 {symbol}",
    }
}

/// `phrase` in `lang` with each `{name}` replaced by its value.
pub fn say(lang: SummaryLanguage, phrase: Phrase, values: &[(&str, &str)]) -> String {
    let mut text = template(lang, phrase).to_owned();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// A date (UTC, `YYYY-MM-DD`) from Unix seconds.
pub fn date(seconds: u64) -> String {
    crate::recovery::format_utc(seconds)
        .chars()
        .take(10)
        .collect()
}

fn short(address: &Address) -> String {
    address.to_checksum(None)
}

/// How an asset is named on screen: its symbol, or the contract.
fn asset_name(
    kind: AssetKind,
    token: Option<Address>,
    symbol: Option<&str>,
    native: &str,
) -> String {
    match (kind, symbol, token) {
        (AssetKind::Native, _, _) => native.to_owned(),
        (_, Some(symbol), _) => symbol.to_owned(),
        (_, None, Some(token)) => short(&token),
        (_, None, None) => "?".to_owned(),
    }
}

/// The lines for simulated asset changes (or "nothing leaves").
pub fn change_lines(lang: SummaryLanguage, changes: &[AssetChange], native: &str) -> Vec<String> {
    let mut lines: Vec<String> = changes
        .iter()
        .map(|c| {
            let asset = asset_name(c.kind, c.token, c.symbol.as_deref(), native);
            let amount = match (c.kind, &c.formatted, c.token_id) {
                (AssetKind::Erc721, _, Some(id)) => format!("#{id}"),
                (AssetKind::Erc1155, _, Some(id)) => format!("{} × #{id}", c.amount),
                (_, Some(f), _) => f.clone(),
                (AssetKind::Native, None, _) => format_amount(c.amount, 18),
                _ => c.amount.to_string(),
            };
            let other = short(&c.counterparty);
            if c.incoming {
                say(
                    lang,
                    Phrase::ReceiveIn,
                    &[("amount", &amount), ("asset", &asset), ("from", &other)],
                )
            } else {
                say(
                    lang,
                    Phrase::SendOut,
                    &[("amount", &amount), ("asset", &asset), ("to", &other)],
                )
            }
        })
        .collect();
    if changes.iter().all(|c| c.incoming) {
        lines.push(say(lang, Phrase::NoChanges, &[]));
    }
    lines
}

/// The lines and warnings for spending rights granted.
pub fn grant_lines(lang: SummaryLanguage, grants: &[Grant]) -> (Vec<String>, Vec<String>) {
    let mut lines = Vec::new();
    let mut warnings = Vec::new();
    for g in grants {
        let asset = asset_name(AssetKind::Erc20, Some(g.token), g.symbol.as_deref(), "");
        let spender = short(&g.spender);
        let values = |amount: &str| {
            vec![
                ("spender", spender.clone()),
                ("asset", asset.clone()),
                ("amount", amount.to_owned()),
            ]
        };
        let render = |phrase, v: Vec<(&str, String)>| {
            let refs: Vec<(&str, &str)> = v.iter().map(|(k, s)| (*k, s.as_str())).collect();
            say(lang, phrase, &refs)
        };
        let mut line = if g.revokes {
            render(Phrase::GrantRevoke, values(""))
        } else if g.amount.is_none() || g.unlimited {
            render(Phrase::GrantAll, values(""))
        } else {
            let amount = match (&g.formatted, g.token_id, g.amount) {
                (_, Some(id), _) => format!("#{id}"),
                (Some(f), _, _) => f.clone(),
                (None, None, Some(a)) => a.to_string(),
                (None, None, None) => U256::MAX.to_string(),
            };
            render(Phrase::GrantLine, values(&amount))
        };
        if let Some(until) = g.expires.filter(|_| !g.revokes) {
            line.push_str(&render(Phrase::Until, vec![("date", date(until))]));
        }
        lines.push(line);
        if g.unlimited && !g.revokes {
            warnings.push(render(Phrase::UnlimitedWarning, values("")));
        }
    }
    (lines, warnings)
}

/// The warnings for a sign-in's flags.
pub fn siwe_warnings(lang: SummaryLanguage, flags: &[SiweFlag]) -> Vec<String> {
    flags
        .iter()
        .map(|flag| match flag {
            SiweFlag::DomainMismatch {
                message_domain,
                origin,
            } => say(
                lang,
                Phrase::SiweDomain,
                &[("domain", message_domain), ("origin", origin)],
            ),
            SiweFlag::AddressMismatch => say(lang, Phrase::SiweAddress, &[]),
            SiweFlag::ChainMismatch {
                message_chain,
                session_chain,
            } => say(
                lang,
                Phrase::SiweChain,
                &[
                    ("message", &message_chain.to_string()),
                    ("session", &session_chain.to_string()),
                ],
            ),
            SiweFlag::Expired => say(lang, Phrase::SiweExpired, &[]),
            SiweFlag::NotYetValid => say(lang, Phrase::SiweNotYet, &[]),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phrase_fills_in_every_language() {
        let all = [
            Phrase::ConnectTitle,
            Phrase::ConnectLine,
            Phrase::SignInTitle,
            Phrase::MessageTitle,
            Phrase::MessageFree,
            Phrase::TypedTitle,
            Phrase::TypedApp,
            Phrase::TypedContract,
            Phrase::CallsTitle,
            Phrase::CallLine,
            Phrase::SendOut,
            Phrase::ReceiveIn,
            Phrase::GrantLine,
            Phrase::GrantAll,
            Phrase::GrantRevoke,
            Phrase::Until,
            Phrase::UnlimitedWarning,
            Phrase::RevertWarning,
            Phrase::NoChanges,
            Phrase::SimulationUnavailable,
            Phrase::PaidBySponsor,
            Phrase::PaidBySite,
            Phrase::PaidByAccount,
            Phrase::OnChain,
            Phrase::SiweDomain,
            Phrase::SiweAddress,
            Phrase::SiweChain,
            Phrase::SiweExpired,
            Phrase::SiweNotYet,
            Phrase::SwitchTitle,
            Phrase::AddTitle,
            Phrase::AddLine,
            Phrase::WatchTitle,
        ];
        for phrase in all {
            let en = template(SummaryLanguage::En, phrase);
            let names: Vec<&str> = en
                .split('{')
                .skip(1)
                .filter_map(|s| s.split('}').next())
                .collect();
            for lang in [SummaryLanguage::ZhHans, SummaryLanguage::ZhHant] {
                let t = template(lang, phrase);
                assert_ne!(t, en, "{phrase:?} is not translated");
                for name in &names {
                    assert!(
                        t.contains(&format!("{{{name}}}")),
                        "{phrase:?} {lang:?} lacks {name}"
                    );
                }
            }
        }
        assert_eq!(
            say(
                SummaryLanguage::En,
                Phrase::PaidBySponsor,
                &[("sponsor", "Harbor")]
            ),
            "Gas is paid by Harbor."
        );
    }

    #[test]
    fn kind_names_are_the_serialized_ones() {
        for kind in [
            RequestKind::Connect,
            RequestKind::SignIn,
            RequestKind::Message,
            RequestKind::TypedData,
            RequestKind::Calls,
            RequestKind::SwitchChain,
            RequestKind::AddChain,
            RequestKind::WatchAsset,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }

    #[test]
    fn dates_are_utc_days() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_796_032_800), "2026-11-30");
        assert_eq!(date(951_782_400), "2000-02-29");
    }
}
