//! The operator's say on each sponsorship: a policy may name a URL the relay asks — a signed
//! POST with a short timeout — whether to sponsor an operation, as the sponsorship webhooks of
//! Alchemy's and Pimlico's paymasters do. Anything but a clear yes declines (fail closed).
//!
//! Request: `POST <url>` with `content-type: application/json`, the header
//! `x-harbor-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (as the
//! alert webhooks) and the body
//! `{"type": "sponsorship.requested", "app", "chainId", "entryPoint", "userOperation",
//! "maxCostWei", "validUntil"}`. Answer: `200` with `{"sponsor": true}`, or
//! `{"sponsor": false, "reason": "…"}` (the reason is passed to the wallet).

use std::time::Duration;

use serde_json::{Value, json};
use zeroize::Zeroizing;

/// A policy's approval webhook with its secret loaded.
pub struct ApprovalHook {
    /// Where the question is posted.
    pub url: String,
    /// The HMAC key.
    pub secret: Zeroizing<String>,
    /// How long the relay waits for the answer.
    pub timeout: Duration,
}

impl std::fmt::Debug for ApprovalHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApprovalHook")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// What the operator's service answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Sponsor it.
    Sponsor,
    /// Do not, with the sentence to give the wallet.
    Decline(String),
}

/// What the relay asks about: one operation it is about to sign for.
#[derive(Debug)]
pub struct Question<'a> {
    /// The app asking.
    pub app: &'a str,
    /// The chain.
    pub chain_id: u64,
    /// The EntryPoint.
    pub entry_point: alloy_primitives::Address,
    /// The operation as the client sent it (JSON-RPC shape).
    pub user_operation: &'a Value,
    /// The most the sponsorship can cost, in wei.
    pub max_cost_wei: u128,
    /// Until when the signature is valid (unix seconds).
    pub valid_until: u64,
}

impl ApprovalHook {
    /// Asks the operator's service; a timeout, a failed connection, a status other than 200 or
    /// an answer without `"sponsor": true` declines.
    pub async fn ask(&self, http: &reqwest::Client, question: &Question<'_>) -> Verdict {
        let body = json!({
            "type": "sponsorship.requested",
            "app": question.app,
            "chainId": question.chain_id,
            "entryPoint": question.entry_point,
            "userOperation": question.user_operation,
            "maxCostWei": question.max_cost_wei.to_string(),
            "validUntil": question.valid_until,
        })
        .to_string();
        let time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let sent = http
            .post(&self.url)
            .timeout(self.timeout)
            .header("content-type", "application/json")
            .header(
                "x-harbor-signature",
                crate::alerts::signature(self.secret.as_bytes(), time, &body),
            )
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(error) if error.is_timeout() => {
                tracing::warn!(url = %self.url, "the approval webhook did not answer in time");
                return Verdict::Decline(format!(
                    "the sponsor's approval service did not answer within {} ms",
                    self.timeout.as_millis()
                ));
            }
            Err(error) => {
                tracing::warn!(url = %self.url, %error, "the approval webhook is unreachable");
                return Verdict::Decline("the sponsor's approval service is unreachable".into());
            }
        };
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            tracing::warn!(url = %self.url, %status, "the approval webhook refused the question");
            return Verdict::Decline(format!("the sponsor's approval service answered {status}"));
        }
        let answer: Value = match response
            .bytes()
            .await
            .ok()
            .and_then(|body| serde_json::from_slice(&body).ok())
        {
            Some(answer) => answer,
            None => {
                return Verdict::Decline(
                    "the sponsor's approval service gave an answer that is not JSON".into(),
                );
            }
        };
        if answer["sponsor"] == Value::Bool(true) {
            return Verdict::Sponsor;
        }
        let reason = answer["reason"]
            .as_str()
            .map(|r| r.chars().take(200).collect::<String>())
            .filter(|r| !r.trim().is_empty())
            .unwrap_or_else(|| "the sponsor declined this operation".into());
        Verdict::Decline(reason)
    }
}
