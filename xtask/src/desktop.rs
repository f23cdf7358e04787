//! `cargo xtask desktop`: the desktop app against a local dev chain, its TypeScript bindings, its
//! component and end-to-end tests, and its Linux bundle.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use harbor_devnet::{Devnet, Manifest};

use crate::bindings::{free_port, wait_for};
use crate::{Result, cache_dir, cargo, root, run, target_dir};

/// The tauri-driver release used for end-to-end tests (built from crates.io).
const TAURI_DRIVER_VERSION: &str = "2.1.0";
/// The second dev chain of the browser run (0x7a6a), the target of its network switch.
const SECOND_CHAIN: u64 = 31338;

/// Debian packages the desktop app needs to build (WebKitGTK) and to be tested in a real window,
/// and the PostgreSQL server the relay's tests start.
const DEBIAN_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "librsvg2-dev",
    "libxdo-dev",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    // The browser end-to-end run (Debian's build; no browser is downloaded).
    "chromium",
    // The tray icon (loaded at run time), and a private session bus with a real notification
    // server for the end-to-end run to read the app's system notifications from.
    "libayatana-appindicator3-1",
    "dbus-daemon",
    "dunst",
    // Closes the app's window as a window manager would (ui/e2e/xwindow.py).
    "python3-xlib",
    // The paymaster relay's tests of several instances on one database (a server per test).
    "postgresql",
    // The Kotlin bindings' tests on the JVM (the compiler itself comes from npm).
    "openjdk-17-jdk-headless",
    "libjna-java",
];

/// `cargo xtask desktop [--bindings | --test | --e2e | --bundle]`.
pub(crate) fn desktop(args: &[String]) -> Result {
    match args.first().map(String::as_str) {
        None => run_app(),
        Some("--bindings") => prepare().and_then(|()| export_bindings(&bindings_path())),
        Some("--test") => prepare().and_then(|()| test()),
        Some("--e2e") => prepare().and_then(|()| e2e()),
        Some("--bundle") => prepare().and_then(|()| bundle()),
        Some(other) => Err(format!(
            "unknown desktop option {other:?} (use --bindings, --test, --e2e or --bundle)"
        )),
    }
}

/// Installs what the desktop build needs (Debian packages, the UI's npm packages) and builds
/// the UI (Tauri embeds `ui/dist` into the app).
pub(crate) fn prepare() -> Result {
    system_packages()?;
    crate::setup::npm_packages(&ui_dir())?;
    run(Command::new("npm")
        .current_dir(ui_dir())
        .args(["run", "--silent", "build"]))
}

fn ui_dir() -> PathBuf {
    root().join("ui")
}

fn bindings_path() -> PathBuf {
    ui_dir().join("src/generated/bindings.ts")
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

/// Installs the missing Debian packages of [`DEBIAN_PACKAGES`] (with sudo when not root).
pub(crate) fn system_packages() -> Result {
    let missing: Vec<&str> = DEBIAN_PACKAGES
        .iter()
        .copied()
        .filter(|p| !installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !Path::new("/usr/bin/apt-get").exists() {
        return Err(format!(
            "the desktop app needs these system packages (Debian names): {}",
            missing.join(" ")
        ));
    }
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let apt = |args: &[&str]| {
        let mut command = if root_user {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        command.env("DEBIAN_FRONTEND", "noninteractive").args(args);
        run(&mut command)
    };
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(missing);
    apt(&args)
}

/// Builds the app (debug) and returns its executable.
fn build_app() -> Result<PathBuf> {
    crate::build_workspace()?;
    Ok(target_dir().join("debug/harbor-desktop"))
}

/// Writes the TypeScript of the app's commands and events to `path`.
pub(crate) fn export_bindings(path: &Path) -> Result {
    let app = build_app()?;
    run(Command::new(app).arg("--export-bindings").arg(path))
}

/// Component tests (Vitest, both languages, in-memory backend) and the type check.
fn test() -> Result {
    run(Command::new("npm")
        .current_dir(ui_dir())
        .args(["run", "--silent", "test"]))
}

/// Dev chains and the relay serving them: the running ones (`cargo xtask devnet`) or new ones.
struct Chain {
    /// The first chain (31337), the one every run uses.
    manifest: Manifest,
    /// Further chains started for the run (the browser run's network switch).
    others: Vec<Manifest>,
    relay_port: u16,
    _devnets: Vec<Devnet>,
    relay: Option<Child>,
}

impl Chain {
    /// The relay's bundler and paymaster URL for `chain_id`.
    fn relay_url(&self, chain_id: u64) -> String {
        format!(
            "http://127.0.0.1:{}/rpc/{chain_id}/{}",
            self.relay_port,
            crate::devnet::DEV_API_KEY
        )
    }
}

impl Drop for Chain {
    fn drop(&mut self) {
        if let Some(relay) = &mut self.relay {
            let _ = relay.kill();
            let _ = relay.wait();
        }
    }
}

fn responds(address: &str) -> bool {
    std::net::TcpStream::connect(address).is_ok()
}

/// Starts dev chain 31337 plus one chain per id in `others`, and one relay serving them all; with
/// `reuse` (and no others), the chain and relay already running on 8545/4337 are used.
fn start_chain(reuse: bool, others: &[u64]) -> Result<Chain> {
    let manifest_path = root().join(".devnet/31337.json");
    if reuse
        && others.is_empty()
        && responds("127.0.0.1:8545")
        && responds("127.0.0.1:4337")
        && let Ok(text) = std::fs::read_to_string(&manifest_path)
        && let Ok(manifest) = serde_json::from_str::<Manifest>(&text)
    {
        eprintln!("xtask: using the dev chain and relay already running");
        return Ok(Chain {
            manifest,
            others: Vec::new(),
            relay_port: 4337,
            _devnets: Vec::new(),
            relay: None,
        });
    }
    let (port, relay_port) = if reuse && !responds("127.0.0.1:8545") && !responds("127.0.0.1:4337")
    {
        (8545, 4337)
    } else {
        (0, free_port()?)
    };
    let mut devnets = vec![Devnet::start(31337, port).map_err(|e| e.to_string())?];
    for &chain_id in others {
        devnets.push(Devnet::start(chain_id, 0).map_err(|e| e.to_string())?);
    }
    let manifests: Vec<Manifest> = devnets.iter().map(|d| d.manifest().clone()).collect();
    if reuse {
        devnets[0]
            .write_manifest(&manifest_path)
            .map_err(|e| e.to_string())?;
    }
    let dir = root().join(format!(".devnet/relay-{relay_port}"));
    let relay = crate::devnet::start_relay(&manifests, relay_port, &dir)?;
    wait_for(&format!("http://127.0.0.1:{relay_port}/healthz"))?;
    let mut manifests = manifests.into_iter();
    Ok(Chain {
        manifest: manifests.next().ok_or("no dev chain")?,
        others: manifests.collect(),
        relay_port,
        _devnets: devnets,
        relay: Some(relay),
    })
}

/// The networks file the app reads from `HARBOR_DEV_CHAINS`: the first chain, and with `all` the
/// others too.
fn write_presets(chain: &Chain, path: &Path, all: bool) -> Result {
    let others = if all { chain.others.as_slice() } else { &[] };
    let presets: Vec<serde_json::Value> = std::iter::once(&chain.manifest)
        .chain(others)
        .enumerate()
        .map(|(i, m)| {
            let relay = chain.relay_url(m.chain_id);
            serde_json::json!({
                "chainId": m.chain_id,
                "name": if i == 0 { "Harbor Dev Chain".to_owned() } else { format!("Harbor Dev Chain {}", i + 1) },
                "rpcUrl": m.rpc_url,
                "bundlerUrl": relay,
                "paymasterUrl": relay,
                // The dev relay's name (its sponsor_name default), as its profile would say.
                "sponsor": "Harbor dev sponsor",
                "tokens": [m.dev_token],
            })
        })
        .collect();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(path, serde_json::Value::from(presets).to_string()).map_err(|e| e.to_string())
}

/// Builds the UI and the app, starts (or reuses) the dev chain and relay, runs the app.
fn run_app() -> Result {
    prepare()?;
    let app = build_app()?;
    let chain = start_chain(true, &[])?;
    let presets = root().join(".devnet/desktop-chains.json");
    write_presets(&chain, &presets, false)?;
    println!(
        "Harbor desktop against the dev chain at {}",
        chain.manifest.rpc_url
    );
    println!("Test coins for any address: cargo xtask fund 0x…");
    let status = Command::new(app)
        .env("HARBOR_DEV_CHAINS", &presets)
        .status()
        .map_err(|e| format!("cannot start the app: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the app exited with {status}"))
    }
}

/// `cargo xtask fund ADDRESS`: 10 ETH and 1000 dev tokens on the running dev chain.
pub(crate) fn fund(args: &[String]) -> Result {
    let address = args.first().ok_or("usage: cargo xtask fund 0xADDRESS")?;
    let text = std::fs::read_to_string(root().join(".devnet/31337.json")).map_err(
        |_| "no dev chain is running: start `cargo xtask desktop` or `cargo xtask devnet`",
    )?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    harbor_devnet::fund(&manifest, address, "0x8ac7230489e80000", "1000000000")
        .map_err(|e| e.to_string())?;
    println!("{address} now has 10 ETH and 1000 HDD on chain 31337");
    Ok(())
}

/// Installs the pinned tauri-driver (WebDriver for Tauri apps) and returns its path.
fn tauri_driver() -> Result<PathBuf> {
    let install_root = cache_dir().join("tools");
    let binary = install_root.join("bin/tauri-driver");
    let stamp = install_root.join(".tauri-driver-version");
    if binary.exists() && std::fs::read_to_string(&stamp).is_ok_and(|v| v == TAURI_DRIVER_VERSION) {
        return Ok(binary);
    }
    run(cargo()
        .args([
            "install",
            "tauri-driver",
            "--locked",
            "--version",
            TAURI_DRIVER_VERSION,
            "--root",
        ])
        .arg(&install_root))?;
    std::fs::write(&stamp, TAURI_DRIVER_VERSION).map_err(|e| e.to_string())?;
    Ok(binary)
}

/// Starts Xvfb on a free display; returns it and the display name.
/// Stops Xvfb and removes its lock and socket (a killed Xvfb leaves them, and 30 stale locks
/// would use up every display).
fn stop_xvfb(x: &mut Child, display: &str) {
    let _ = x.kill();
    let _ = x.wait();
    let n = display.trim_start_matches(':');
    let _ = std::fs::remove_file(format!("/tmp/.X{n}-lock"));
    let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{n}"));
}

fn xvfb() -> Result<(Child, String)> {
    for n in 90..120 {
        if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            || Path::new(&format!("/tmp/.X{n}-lock")).exists()
        {
            continue;
        }
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([&display, "-screen", "0", "1280x900x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start Xvfb: {e}"))?;
        for _ in 0..100 {
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                return Ok((child, display));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        return Err("Xvfb did not start".into());
    }
    Err("no free X display between :90 and :119".into())
}

/// A private D-Bus session bus with a real notification server (dunst) on an X display: the
/// app's system notifications and tray icon go there and the end-to-end run reads them back.
struct SessionBus {
    address: String,
    bus: Child,
    dunst: Child,
}

impl SessionBus {
    fn start(dir: &Path, display: &str) -> Result<SessionBus> {
        let socket = dir.join("bus");
        let config = dir.join("session.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                socket.display()
            ),
        )
        .map_err(|e| e.to_string())?;
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start dbus-daemon: {e}"))?;
        let mut address = String::new();
        if let Some(out) = bus.stdout.take() {
            use std::io::BufRead;
            let _ = std::io::BufReader::new(out).read_line(&mut address);
        }
        let address = address.trim().to_string();
        if address.is_empty() {
            let _ = bus.kill();
            return Err("dbus-daemon printed no address".into());
        }
        let dunst = Command::new("dunst")
            .env("DISPLAY", display)
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start dunst: {e}"))?;
        Ok(SessionBus {
            address,
            bus,
            dunst,
        })
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        for child in [&mut self.dunst, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// End to end on the real app (tauri-driver + WebKitWebDriver under Xvfb) against a fresh dev
/// chain: onboarding, receive, sponsored sends, activity, guardians, a recovery on a second
/// instance and the owner's cancel. Screenshots go to `target/desktop-e2e/`.
fn e2e() -> Result {
    let app = build_app()?;
    crate::extension::build()?;
    let driver = tauri_driver()?;
    // A second chain for the browser run's network switch.
    let chain = start_chain(false, &[SECOND_CHAIN])?;
    let work = target_dir().join("desktop-e2e");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let presets = work.join("chains.json");
    write_presets(&chain, &presets, false)?;
    let browser_presets = work.join("browser-chains.json");
    write_presets(&chain, &browser_presets, true)?;
    let (mut x, display) = xvfb()?;
    let bus = match SessionBus::start(&work, &display) {
        Ok(bus) => bus,
        Err(error) => {
            stop_xvfb(&mut x, &display);
            return Err(error);
        }
    };
    let cast = root().join("tools/node_modules/.bin/cast");
    let node = |script: &str| {
        let mut command = Command::new("node");
        command
            .current_dir(ui_dir())
            .arg(script)
            .env("DISPLAY", &display)
            .env("HARBOR_APP", &app)
            .env("HARBOR_TAURI_DRIVER", &driver)
            .env("HARBOR_DEV_CHAINS", &presets)
            .env("HARBOR_E2E_DIR", &work)
            .env("HARBOR_RPC_URL", &chain.manifest.rpc_url)
            .env("HARBOR_DEV_TOKEN", &chain.manifest.dev_token)
            .env("HARBOR_CAST", &cast)
            .env("HARBOR_DEV_KEY", harbor_devnet::DEV_DEPLOYER_KEY)
            .env("HARBOR_LIGHT_KDF", "1")
            .env("HARBOR_NO_KEYRING", "1")
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            // GTK would look for an accessibility bus on the private one.
            .env("NO_AT_BRIDGE", "1");
        command
    };
    // HARBOR_E2E_BROWSER_ONLY=1 skips the app-only run (to iterate on the browser run).
    let app_run = if std::env::var_os("HARBOR_E2E_BROWSER_ONLY").is_some() {
        Ok(())
    } else {
        run(&mut node("e2e/run.mjs"))
    };
    let result = app_run.and_then(|()| {
        // A real browser with the extension, a dApp page and the app approving.
        run(node("e2e/browser.mjs")
            .env("HARBOR_EXTENSION", root().join("extension/dist/chromium"))
            .env(
                "HARBOR_PLAYWRIGHT",
                root().join("extension/node_modules/playwright-core"),
            )
            .env("HARBOR_VIEM", root().join("tools/node_modules/viem"))
            .env("HARBOR_DEV_CHAINS", &browser_presets)
            .env(
                "HARBOR_SECOND_RPC_URL",
                chain
                    .others
                    .first()
                    .map(|m| m.rpc_url.as_str())
                    .unwrap_or_default(),
            )
            .env("HARBOR_CHROMIUM", "/usr/bin/chromium"))
    });
    drop(bus);
    stop_xvfb(&mut x, &display);
    drop(chain);
    result
}

/// The cargo profile the app ships with (size-tuned; see the workspace Cargo.toml).
const SHIPPED_PROFILE: &str = "desktop-release";

/// Builds the app with the shipped profile and its Debian package, builds Tauri's hello world
/// the same way, and measures both in the same run: binary size, cold start and idle memory, as
/// ratios (printed and written to `target/desktop-measure.json`).
fn bundle() -> Result {
    // One cargo invocation builds both, so they share one build of the Tauri stack (the hello
    // world adds no feature to it); the Tauri CLI then finds the app built and packages it.
    run(cargo().args([
        "build",
        "--profile",
        SHIPPED_PROFILE,
        "-p",
        "harbor-desktop",
        "-p",
        "tauri-hello",
        "--features",
        "tauri/custom-protocol",
    ]))?;
    // AppImage needs linuxdeploy and the AppImage runtime from GitHub, which this machine cannot
    // reach; `--bundles appimage` works where they can be had.
    run(Command::new(ui_dir().join("node_modules/.bin/tauri"))
        .current_dir(root())
        .args([
            "build",
            "--bundles",
            "deb",
            "--",
            "--profile",
            SHIPPED_PROFILE,
        ]))?;
    let built = target_dir().join(SHIPPED_PROFILE);
    let (app, hello) = (built.join("harbor-desktop"), built.join("tauri-hello"));
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let mb = |bytes: u64| bytes as f64 / 1e6;
    println!(
        "binary ({SHIPPED_PROFILE}, stripped): Harbor {:.1} MB, Tauri hello world {:.1} MB, ratio {:.1}",
        mb(size(&app)),
        mb(size(&hello)),
        size(&app) as f64 / size(&hello).max(1) as f64
    );
    for entry in std::fs::read_dir(built.join("bundle/deb"))
        .map_err(|e| e.to_string())?
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "deb"))
    {
        println!(
            "{}: {:.1} MB",
            entry.file_name().to_string_lossy(),
            mb(size(&entry.path()))
        );
    }
    // Cold start and idle memory, alternating the two apps under Xvfb.
    let driver = tauri_driver()?;
    let (mut x, display) = xvfb()?;
    let out = target_dir().join("desktop-measure.json");
    let result = run(Command::new("node")
        .current_dir(ui_dir())
        .arg("e2e/measure.mjs")
        .env("DISPLAY", &display)
        .env("HARBOR_APP", &app)
        .env("HARBOR_HELLO_APP", &hello)
        .env("HARBOR_TAURI_DRIVER", &driver)
        .env("HARBOR_MEASURE_OUT", &out));
    stop_xvfb(&mut x, &display);
    result
}
