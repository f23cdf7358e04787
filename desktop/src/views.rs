//! Conversions between the UI's records ([`crate::dto`]) and the core's: addresses as checksum
//! text, amounts as formatted text, kinds as camelCase names. No wallet logic lives here.

use harbor_core::aa::SendProgress;
use harbor_core::chains::{Chain, NativeCurrency};
use harbor_core::contacts::{Contact, RecipientCheck, RecipientWarning};
use harbor_core::recovery::{self as core_recovery, Guardian, InvitationReply};
use harbor_core::vault::{self as core_vault, PaperShares};
use harbor_core::wallet::{self as core_wallet, AlertKind, WalletAccount};

use crate::dto::*;
use crate::error::{UiResult, parse_address};

fn checksum(a: harbor_core::Address) -> String {
    a.to_checksum(None)
}

fn blank_to_none(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

pub(crate) fn account_view(a: &WalletAccount) -> Account {
    Account {
        wallet_id: a.wallet_id.clone(),
        index: a.index,
        name: a.name.clone(),
        address: checksum(a.address),
        owner: checksum(a.owner),
        has_phrase: a.has_phrase,
        recovered: a.recovered,
    }
}

pub(crate) fn new_wallet(w: core_wallet::NewWallet) -> NewWallet {
    NewWallet {
        account: account_view(&w.account),
        wallet_id: w.wallet_id,
    }
}

pub(crate) fn paper_shares_view(paper: &PaperShares) -> PaperSharesView {
    PaperSharesView {
        shares: paper
            .groups
            .iter()
            .flatten()
            .map(|s| s.as_str().to_owned())
            .collect(),
        language: paper.language.code().into(),
        language_name: paper.language.native_name().into(),
        first_address: checksum(paper.first_address),
    }
}

pub(crate) fn chain_view(c: &Chain, custom: bool) -> ChainView {
    ChainView {
        chain_id: c.chain_id,
        name: c.name.clone(),
        symbol: c.native_currency.symbol.clone(),
        rpc_url: c.rpc_urls.first().cloned().unwrap_or_default(),
        bundler_url: c.bundler_url.clone(),
        paymaster_url: c.paymaster_url.clone(),
        explorer_url: c.explorer_url.clone(),
        testnet: c.testnet,
        custom,
        sponsor: c.sponsor.clone(),
    }
}

pub(crate) fn core_chain(chain: ChainView) -> Chain {
    Chain {
        chain_id: chain.chain_id,
        name: chain.name.trim().to_owned(),
        native_currency: NativeCurrency {
            name: chain.symbol.clone(),
            symbol: chain.symbol,
            decimals: 18,
        },
        rpc_urls: vec![chain.rpc_url.trim().to_owned()],
        explorer_url: blank_to_none(chain.explorer_url),
        bundler_url: blank_to_none(chain.bundler_url),
        paymaster_url: blank_to_none(chain.paymaster_url),
        testnet: chain.testnet,
        // Saved by the person: their own settings, whoever set them up first.
        sponsor: None,
    }
}

/// A recovery notice as a system notification (title, body) in the app's language.
pub(crate) fn notice_notification(
    n: &core_wallet::RecoveryNotice,
    language: AppLanguage,
) -> (String, String) {
    use core_wallet::NoticeKind::{Cancelled, Executed, Started};
    let chain = &n.chain_name;
    let who = &n.sponsor;
    match (language, n.kind) {
        (AppLanguage::En, Started) => (
            "Someone is trying to take over your account".into(),
            format!(
                "Guardians started a recovery on {chain} ({who} saw it). Open Harbor to cancel it if this is not you."
            ),
        ),
        (AppLanguage::En, Cancelled) => (
            "Recovery cancelled".into(),
            format!("The recovery of your account on {chain} was cancelled."),
        ),
        (AppLanguage::En, Executed) => (
            "Your account was recovered".into(),
            format!(
                "Another key now controls your account on {chain}. If this was not you, contact your guardians."
            ),
        ),
        (AppLanguage::ZhHans, Started) => (
            "有人正在尝试接管你的账户".into(),
            format!(
                "守护人已在 {chain} 上发起恢复（{who} 发现）。如果不是你本人，请打开 Harbor 取消。"
            ),
        ),
        (AppLanguage::ZhHans, Cancelled) => (
            "恢复已取消".into(),
            format!("你在 {chain} 上的账户恢复已被取消。"),
        ),
        (AppLanguage::ZhHans, Executed) => (
            "你的账户已被恢复".into(),
            format!(
                "另一个密钥现在控制着你在 {chain} 上的账户。如果不是你本人，请联系你的守护人。"
            ),
        ),
        (AppLanguage::ZhHant, Started) => (
            "有人正在嘗試接管你的帳戶".into(),
            format!(
                "守護人已在 {chain} 上發起恢復（{who} 發現）。如果不是你本人，請打開 Harbor 取消。"
            ),
        ),
        (AppLanguage::ZhHant, Cancelled) => (
            "恢復已取消".into(),
            format!("你在 {chain} 上的帳戶恢復已被取消。"),
        ),
        (AppLanguage::ZhHant, Executed) => (
            "你的帳戶已被恢復".into(),
            format!(
                "另一個金鑰現在控制著你在 {chain} 上的帳戶。如果不是你本人，請聯絡你的守護人。"
            ),
        ),
    }
}

pub(crate) fn notice_view(n: core_wallet::RecoveryNotice) -> RecoveryNoticeView {
    RecoveryNoticeView {
        kind: match n.kind {
            core_wallet::NoticeKind::Started => "started",
            core_wallet::NoticeKind::Cancelled => "cancelled",
            core_wallet::NoticeKind::Executed => "executed",
        }
        .into(),
        account: checksum(n.account),
        chain_id: n.chain_id,
        chain_name: n.chain_name,
        sponsor: n.sponsor,
        message: n.message,
    }
}

pub(crate) fn sponsor_view(
    wallet: &core_wallet::Wallet,
    registry: &harbor_core::chains::ChainRegistry,
    s: harbor_core::chains::Sponsor,
) -> SponsorView {
    SponsorView {
        link: s.link,
        name: s.profile.name,
        contact: s.profile.contact,
        chains: s
            .profile
            .chains
            .into_iter()
            .map(|c| SponsoredChainView {
                chain_name: wallet.chain_name(registry, c.chain_id),
                chain_id: c.chain_id,
                pays: c.pays,
            })
            .collect(),
    }
}

pub(crate) fn balances_view(b: core_wallet::ChainBalances) -> ChainBalances {
    ChainBalances {
        chain_id: b.chain_id,
        chain_name: b.chain_name,
        deployed: b.deployed,
        sponsored: b.sponsored,
        sponsor: b.sponsor,
        amounts: b
            .amounts
            .into_iter()
            .map(|a| Amount {
                token: a.token.map(checksum),
                symbol: a.symbol,
                formatted: a.formatted,
                raw: a.raw.to_string(),
                decimals: a.decimals,
            })
            .collect(),
        error: b.error.map(Into::into),
    }
}

pub(crate) fn contact_view(c: Contact) -> ContactView {
    ContactView {
        address: checksum(c.address),
        name: c.name,
        last_sent_at: c.last_sent_at,
    }
}

fn warning_view(w: RecipientWarning) -> RecipientWarningView {
    match w {
        RecipientWarning::FirstTime => RecipientWarningView::FirstTime,
        RecipientWarning::LooksLike { known, name } => RecipientWarningView::LooksLike {
            known: checksum(known),
            name,
        },
        RecipientWarning::ZeroAddress => RecipientWarningView::ZeroAddress,
        RecipientWarning::OwnAccount => RecipientWarningView::OwnAccount,
    }
}

pub(crate) fn recipient_view(check: RecipientCheck) -> RecipientView {
    RecipientView {
        checksum: check.checksum,
        name: check.contact.and_then(|c| c.name),
        warnings: check.warnings.into_iter().map(warning_view).collect(),
    }
}

pub(crate) fn core_request(r: &SendRequest) -> UiResult<core_wallet::SendRequest> {
    Ok(core_wallet::SendRequest {
        account: parse_address(&r.account)?,
        chain_id: r.chain_id,
        to: parse_address(&r.to)?,
        amount: r.amount.clone(),
        token: r.token.as_deref().map(parse_address).transpose()?,
    })
}

pub(crate) fn review_view(r: core_wallet::SendReview) -> SendReview {
    SendReview {
        from: checksum(r.from),
        to: checksum(r.to),
        to_name: r.to_name,
        amount: r.amount,
        symbol: r.symbol,
        chain_name: r.chain_name,
        sponsored: r.sponsored,
        sponsor: r.sponsor,
        creates_account: r.creates_account,
        warnings: r.warnings.into_iter().map(warning_view).collect(),
    }
}

pub(crate) fn stage_view(p: SendProgress) -> SendStage {
    match p {
        SendProgress::Preparing => SendStage::Preparing,
        SendProgress::Sponsoring => SendStage::Sponsoring,
        SendProgress::Signing => SendStage::Signing,
        SendProgress::Submitted { user_op_hash } => SendStage::Submitted {
            user_op_hash: user_op_hash.to_string(),
        },
        SendProgress::Included {
            transaction_hash, ..
        } => SendStage::Included {
            transaction_hash: transaction_hash.map(|h| h.to_string()),
        },
        SendProgress::Failed { reason } => SendStage::Failed { reason },
    }
}

pub(crate) fn receipt_view(r: core_wallet::Receipt) -> Receipt {
    Receipt {
        user_op_hash: r.user_op_hash.to_string(),
        transaction_hash: r.transaction_hash.map(|h| h.to_string()),
        block_number: r.block_number,
        gas_cost: r.gas_cost_formatted,
        gas_symbol: r.gas_symbol,
        sponsor: r.sponsor,
        explorer_url: r.explorer_url,
    }
}

pub(crate) fn activity_view(a: core_wallet::Activity) -> ActivityEntry {
    let e = a.entry;
    ActivityEntry {
        id: e.id,
        chain_id: e.chain_id,
        chain_name: a.chain_name,
        description: e.description,
        status: match e.status {
            core_vault::ActivityStatus::Pending => ActivityStatus::Pending,
            core_vault::ActivityStatus::Confirmed => ActivityStatus::Confirmed,
            core_vault::ActivityStatus::Failed => ActivityStatus::Failed,
        },
        to: e.transfer.as_ref().map(|t| checksum(t.to)),
        amount: e.transfer.as_ref().map(|t| t.amount.clone()),
        symbol: e.transfer.as_ref().map(|t| t.symbol.clone()),
        gas_cost: a.gas_cost,
        gas_symbol: a.gas_symbol,
        sponsor: e.sponsor,
        error: e.error,
        explorer_url: a.explorer_url,
        created_at: e.created_at,
    }
}

impl From<core_recovery::GuardianKind> for GuardianKind {
    fn from(k: core_recovery::GuardianKind) -> Self {
        match k {
            core_recovery::GuardianKind::Person => Self::Person,
            core_recovery::GuardianKind::OwnDevice => Self::OwnDevice,
            core_recovery::GuardianKind::HardwareWallet => Self::HardwareWallet,
            core_recovery::GuardianKind::Contract => Self::Contract,
        }
    }
}

impl From<GuardianKind> for core_recovery::GuardianKind {
    fn from(k: GuardianKind) -> Self {
        match k {
            GuardianKind::Person => Self::Person,
            GuardianKind::OwnDevice => Self::OwnDevice,
            GuardianKind::HardwareWallet => Self::HardwareWallet,
            GuardianKind::Contract => Self::Contract,
        }
    }
}

pub(crate) fn core_guardian(g: &GuardianView) -> UiResult<Guardian> {
    Ok(Guardian {
        address: parse_address(&g.address)?,
        name: g.name.clone(),
        kind: g.kind.into(),
    })
}

pub(crate) fn guardian_set_view(s: core_wallet::GuardianSet) -> GuardianSetView {
    GuardianSetView {
        chain_id: s.chain_id,
        chain_name: s.chain_name,
        deployed: s.deployed,
        guardians: s
            .guardians
            .into_iter()
            .map(|g| GuardianView {
                address: checksum(g.address),
                name: g.name,
                kind: g.kind.into(),
            })
            .collect(),
        threshold: s.threshold,
        security_delay_seconds: s.security_delay_seconds,
        error: s.error.map(Into::into),
    }
}

pub(crate) fn advice_view(a: core_wallet::GuardianAdvice) -> GuardianAdvice {
    GuardianAdvice {
        suggested_threshold: a.suggested_threshold,
        warnings: a
            .warnings
            .iter()
            .map(|w| {
                serde_json::to_value(w)
                    .ok()
                    .and_then(|v| v.get("kind").and_then(|k| k.as_str().map(str::to_owned)))
                    .unwrap_or_else(|| format!("{w:?}"))
            })
            .collect(),
    }
}

pub(crate) fn reply_view(reply: InvitationReply) -> InvitationReplyView {
    InvitationReplyView {
        account: checksum(reply.account),
        guardian: checksum(reply.guardian),
        name: reply.name,
    }
}

pub(crate) fn recovery_view(s: core_wallet::RecoveryStatus) -> RecoveryView {
    RecoveryView {
        id: s.id,
        account: checksum(s.account),
        new_owner: checksum(s.new_owner),
        request_link: s.request_link,
        finished: s.finished,
        chains: s
            .chains
            .into_iter()
            .map(|c| ChainRecoveryView {
                chain_id: c.chain_id,
                chain_name: c.chain_name,
                stage: c.stage.name().into(),
                approvals: c.approvals,
                threshold: c.threshold,
                execute_after: c.execute_after.map(|t| t as i64),
                last_error: c.last_error,
            })
            .collect(),
    }
}

pub(crate) fn request_view(r: core_wallet::RequestSummary) -> RequestView {
    RequestView {
        account: checksum(r.account),
        new_owner: checksum(r.new_owner),
        description: r.description,
        note: r.note,
        valid_until: r.valid_until as i64,
        chain_ids: r.chain_ids,
    }
}

pub(crate) fn alert_view(a: core_wallet::Alert) -> AlertView {
    AlertView {
        kind: match a.kind {
            AlertKind::Pending => "pending",
            AlertKind::Taken => "taken",
            AlertKind::NotRecoveredHere => "notRecoveredHere",
        }
        .into(),
        cancellable: a.cancellable(),
        chain_id: a.chain_id,
        chain_name: a.chain_name,
        new_owner: checksum(a.new_owner),
        execute_after: a.execute_after.map(|t| t as i64),
        message: a.message,
    }
}

/// A pending dApp request as the approval screen shows it.
pub(crate) fn dapp_request_view(p: harbor_core::dapp::PendingRequest) -> DappRequestView {
    let s = p.summary;
    DappRequestView {
        id: p.id,
        origin: p.origin,
        method: p.method,
        kind: s.kind.as_str().to_owned(),
        title: s.title,
        lines: s.lines,
        warnings: s.warnings,
        chain_name: s.chain_name,
        payer: s.payer,
        account: p.account.map(|a| a.to_checksum(None)),
    }
}

#[cfg(test)]
mod notice_tests {
    use super::*;

    #[test]
    fn recovery_notifications_are_worded_in_each_language() {
        let mut notice = core_wallet::RecoveryNotice {
            kind: core_wallet::NoticeKind::Started,
            account: harbor_core::Address::repeat_byte(1),
            chain_id: 8453,
            chain_name: "Base".into(),
            new_owner: harbor_core::Address::repeat_byte(2),
            execute_after: Some(1),
            sponsor: "Acme".into(),
            message: String::new(),
        };
        let mut seen = std::collections::HashSet::new();
        for kind in [
            core_wallet::NoticeKind::Started,
            core_wallet::NoticeKind::Cancelled,
            core_wallet::NoticeKind::Executed,
        ] {
            notice.kind = kind;
            for language in [AppLanguage::En, AppLanguage::ZhHans, AppLanguage::ZhHant] {
                let (title, body) = notice_notification(&notice, language);
                assert!(
                    !title.is_empty() && body.contains("Base"),
                    "{title} / {body}"
                );
                assert!(seen.insert(title.clone()), "{title} is used twice");
            }
        }
        let (_, body) = notice_notification(
            &core_wallet::RecoveryNotice {
                kind: core_wallet::NoticeKind::Started,
                ..notice
            },
            AppLanguage::ZhHans,
        );
        assert!(body.contains("Acme"), "{body}");
    }
}
