//! Prometheus metrics in the text exposition format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// Counters and gauges keyed by name and labels.
#[derive(Debug, Default)]
pub struct Metrics {
    values: Mutex<BTreeMap<(String, String), f64>>,
}

const HELP: &[(&str, &str, &str)] = &[
    (
        "harbor_paymaster_requests_total",
        "counter",
        "JSON-RPC requests by method and outcome.",
    ),
    (
        "harbor_paymaster_sponsorships_total",
        "counter",
        "Sponsorships signed, by app and chain.",
    ),
    (
        "harbor_paymaster_rejections_total",
        "counter",
        "Sponsorships refused, by app, chain and policy rule.",
    ),
    (
        "harbor_paymaster_relayed_total",
        "counter",
        "UserOperations submitted on-chain by the relay.",
    ),
    (
        "harbor_paymaster_spend_wei",
        "gauge",
        "Gas paid by the paymaster (settled from receipts), in wei.",
    ),
    (
        "harbor_paymaster_reserved_wei",
        "gauge",
        "Gas reserved by signed, not yet settled sponsorships, in wei.",
    ),
    (
        "harbor_paymaster_relayer_balance_wei",
        "gauge",
        "ETH balance of the relayer account, in wei.",
    ),
    (
        "harbor_paymaster_deposit_wei",
        "gauge",
        "The paymaster's deposit at the EntryPoint, in wei.",
    ),
    (
        "harbor_paymaster_last_block",
        "gauge",
        "Last block whose logs were processed.",
    ),
];

fn labels(pairs: &[(&str, &str)]) -> String {
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            // Escaped as the exposition format says: backslash, double quote, line feed.
            let value = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{value}\"")
        })
        .collect();
    inner.join(",")
}

impl Metrics {
    /// Adds 1 to a counter.
    pub fn inc(&self, name: &str, pairs: &[(&str, &str)]) {
        if let Ok(mut values) = self.values.lock() {
            *values.entry((name.to_owned(), labels(pairs))).or_default() += 1.0;
        }
    }

    /// Sets a gauge.
    pub fn set(&self, name: &str, pairs: &[(&str, &str)], value: f64) {
        if let Ok(mut values) = self.values.lock() {
            values.insert((name.to_owned(), labels(pairs)), value);
        }
    }

    /// The current value (tests).
    pub fn get(&self, name: &str, pairs: &[(&str, &str)]) -> f64 {
        self.values
            .lock()
            .ok()
            .and_then(|v| v.get(&(name.to_owned(), labels(pairs))).copied())
            .unwrap_or_default()
    }

    /// Renders every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let Ok(values) = self.values.lock() else {
            return out;
        };
        for (name, kind, help) in HELP {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for ((n, l), v) in values.iter().filter(|((n, _), _)| n == name) {
                if l.is_empty() {
                    let _ = writeln!(out, "{n} {v}");
                } else {
                    let _ = writeln!(out, "{n}{{{l}}} {v}");
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.inc(
            "harbor_paymaster_requests_total",
            &[("method", "pm_getPaymasterData"), ("outcome", "ok")],
        );
        m.inc(
            "harbor_paymaster_requests_total",
            &[("method", "pm_getPaymasterData"), ("outcome", "ok")],
        );
        m.set("harbor_paymaster_deposit_wei", &[("chain", "1")], 5.0);
        let text = m.render();
        assert!(text.contains(
            "harbor_paymaster_requests_total{method=\"pm_getPaymasterData\",outcome=\"ok\"} 2"
        ));
        assert!(text.contains("# TYPE harbor_paymaster_deposit_wei gauge"));
        assert!(text.contains("harbor_paymaster_deposit_wei{chain=\"1\"} 5"));
    }
}

#[cfg(test)]
mod dashboard_tests {
    /// Every series the Grafana dashboard plots is one the relay exports (a renamed metric
    /// would leave an empty panel).
    #[test]
    fn the_dashboard_plots_only_metrics_the_relay_exports() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dashboard: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("grafana/harbor-paymaster.json")).unwrap(),
        )
        .unwrap();
        let mut source = String::new();
        for entry in std::fs::read_dir(dir.join("src")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                source.push_str(&std::fs::read_to_string(path).unwrap());
            }
        }
        let mut plotted = 0;
        for panel in dashboard["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().unwrap() {
                let expr = target["expr"].as_str().unwrap();
                for (start, _) in expr.match_indices("harbor_paymaster_") {
                    let name: String = expr[start..]
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect();
                    assert!(
                        source.contains(&format!("\"{name}\"")),
                        "the dashboard plots {name}, which the relay does not export"
                    );
                    plotted += 1;
                }
            }
        }
        assert!(plotted >= 15, "{plotted} series");
    }
}
