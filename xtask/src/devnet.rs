//! `cargo xtask devnet`: local dev chains with everything deployed.

use harbor_devnet::Devnet;

use crate::{Result, root};

/// Starts one dev chain per `--chain-id` (default 31337; the first on `--port`, default 8545),
/// writes `.devnet/<chain id>.json`, then waits for Ctrl-C, or returns at once with `--detach`.
pub(crate) fn devnet(args: &[String]) -> Result {
    let mut chain_ids: Vec<u64> = Vec::new();
    let mut port: u16 = 8545;
    let mut detach = false;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--chain-id" => chain_ids.push(parse(iter.next(), "--chain-id")?),
            "--port" => port = parse(iter.next(), "--port")?,
            "--detach" => detach = true,
            other => return Err(format!("unknown devnet option {other:?}")),
        }
    }
    if chain_ids.is_empty() {
        chain_ids.push(31337);
    }
    crate::setup::setup()?;
    let mut chains = Vec::new();
    for (i, chain_id) in chain_ids.iter().enumerate() {
        let devnet =
            Devnet::start(*chain_id, if i == 0 { port } else { 0 }).map_err(|e| e.to_string())?;
        let path = root().join(format!(".devnet/{chain_id}.json"));
        devnet.write_manifest(&path).map_err(|e| e.to_string())?;
        let m = devnet.manifest();
        println!("chain {} at {}", m.chain_id, m.rpc_url);
        println!("  EntryPoint v0.7       {}", m.entry_point);
        println!("  HarborAccount (impl)  {}", m.account_implementation);
        println!("  HarborAccountFactory  {}", m.account_factory);
        println!(
            "  HarborPaymaster       {} (signer {})",
            m.paymaster, m.paymaster_signer
        );
        println!("  manifest              {}", path.display());
        chains.push(devnet);
    }
    if detach {
        for devnet in chains {
            if let Some(pid) = devnet.detach() {
                println!("anvil left running as pid {pid}; stop it with `kill {pid}`");
            }
        }
        return Ok(());
    }
    println!("Dev chains running; press Ctrl-C to stop.");
    for devnet in chains {
        devnet.wait().map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn parse<T: std::str::FromStr>(value: Option<&String>, flag: &str) -> Result<T> {
    value
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("{flag} needs a number"))
}
