//! `cargo xtask bindings`: build harbor-mobile and generate its Kotlin, Swift and Python
//! bindings; the Python and Kotlin test suites (offline, then live against a dev chain and the
//! relay) — the Kotlin compiled with the pinned compiler from npm and run on the JVM against the
//! Linux library; Android and iOS packaging where their SDKs exist.

use std::path::{Path, PathBuf};
use std::process::Command;

use harbor_devnet::Devnet;

use crate::{Result, build_workspace, cargo, has_program, root, run, target_dir};

/// The generated outputs.
pub(crate) struct Generated {
    /// The built library (debug or `mobile` profile).
    pub(crate) library: PathBuf,
    /// The Python package directory (`mobile-bindings/python`).
    pub(crate) python: PathBuf,
}

fn library_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "libharbor_mobile.dylib"
    } else if cfg!(target_os = "windows") {
        "harbor_mobile.dll"
    } else {
        "libharbor_mobile.so"
    }
}

/// Builds the library (`profile`: "dev" or "mobile") and the pinned `uniffi-bindgen`.
pub(crate) fn build_library(profile: &str) -> Result<PathBuf> {
    if profile == "dev" {
        build_workspace()?;
    } else {
        run(cargo().args(["build", "-p", "harbor-mobile", "--profile", profile]))?;
    }
    let dir = if profile == "dev" { "debug" } else { profile };
    Ok(target_dir().join(dir).join(library_name()))
}

/// Generates the bindings of `library` for `language` into `out`.
fn generate(library: &Path, language: &str, out: &Path) -> Result {
    build_workspace()?;
    let bindgen = target_dir().join("debug/uniffi-bindgen");
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    run(Command::new(bindgen)
        .current_dir(root().join("mobile-bindings"))
        .args([
            "generate",
            "--no-format",
            "--language",
            language,
            "--out-dir",
        ])
        .arg(out)
        .arg(library))
}

/// `cargo xtask bindings`: Kotlin and Swift into `mobile-bindings/generated/`, Python into the
/// `harbor` package with the native library beside it.
pub(crate) fn bindings() -> Result<Generated> {
    let library = build_library("dev")?;
    let generated = root().join("mobile-bindings/generated");
    generate(&library, "kotlin", &generated.join("kotlin"))?;
    generate(&library, "swift", &generated.join("swift"))?;
    let python = root().join("mobile-bindings/python");
    let package = python.join("harbor");
    generate(&library, "python", &package)?;
    std::fs::copy(&library, package.join(library_name())).map_err(|e| e.to_string())?;
    check_generated(&generated)?;
    println!(
        "bindings: Kotlin and Swift in {}, Python package in {}",
        generated.display(),
        python.display()
    );
    Ok(Generated { library, python })
}

/// Every exported object, function and error appears in the Kotlin and Swift sources.
fn check_generated(generated: &Path) -> Result {
    let read = |path: PathBuf| {
        std::fs::read_to_string(&path).map_err(|e| format!("{} is missing: {e}", path.display()))
    };
    let kotlin = read(generated.join("kotlin/org/harbor/wallet/harbor.kt"))?;
    let swift = read(generated.join("swift/Harbor.swift"))?;
    for (language, source, names) in [
        (
            "Kotlin",
            &kotlin,
            [
                "class Vault",
                "class Wallet",
                "class NewPhrase",
                "interface SecureStore",
                "interface SendListener",
                "sealed class HarborException",
                "fun `createVault`",
                "fun `splitMnemonicIntoShares`",
                "fun `readInvitationReply`",
                "fun `noop`",
            ],
        ),
        (
            "Swift",
            &swift,
            [
                "class Vault",
                "class Wallet",
                "class NewPhrase",
                "protocol SecureStore",
                "protocol SendListener",
                "enum HarborError",
                "func createVault",
                "func splitMnemonicIntoShares",
                "func readInvitationReply",
                "func noop",
            ],
        ),
    ] {
        for name in names {
            if !source.contains(name) {
                return Err(format!("the generated {language} bindings lack `{name}`"));
            }
        }
    }
    Ok(())
}

/// Runs the Python and Kotlin suites: offline tests, then live tests against a fresh dev chain
/// and relay (one for both).
pub(crate) fn binding_tests() -> Result {
    let generated = bindings()?;
    crate::desktop::system_packages()?;
    let kotlin = compile_kotlin()?;
    let python = root().join("tools/.venv/bin/python");
    let devnet = Devnet::start(31337, 0).map_err(|e| e.to_string())?;
    let manifest = devnet.manifest().clone();
    let port = free_port()?;
    let dir = tempfile_dir()?;
    let mut relay = crate::devnet::start_relay(std::slice::from_ref(&manifest), port, &dir)?;
    let env = [
        ("HARBOR_RPC_URL", manifest.rpc_url.clone()),
        (
            "HARBOR_RELAY_URL",
            format!(
                "http://127.0.0.1:{port}/rpc/31337/{}",
                crate::devnet::DEV_API_KEY
            ),
        ),
        ("HARBOR_DEV_TOKEN", manifest.dev_token.clone()),
    ];
    let result = wait_for(&format!("http://127.0.0.1:{port}/healthz"))
        .and_then(|_| {
            let mut pytest = Command::new(&python);
            pytest
                .current_dir(&generated.python)
                .env("PYTHONPATH", &generated.python)
                .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"])
                .envs(env.iter().map(|(k, v)| (k, v)));
            run(&mut pytest)
        })
        .and_then(|_| {
            let mut java = kotlin.command(&generated.library)?;
            java.envs(env.iter().map(|(k, v)| (k, v)));
            run(&mut java)
        });
    let _ = relay.kill();
    let _ = relay.wait();
    drop(devnet);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// The Kotlin compiler and runtime jars: the pinned npm `kotlin-compiler` (installed by
/// `cargo xtask setup`), JNA from Debian's `libjna-java`.
struct KotlinTools {
    kotlinc: PathBuf,
    stdlib: PathBuf,
    coroutines: PathBuf,
    jna: PathBuf,
}

impl KotlinTools {
    fn find() -> Result<KotlinTools> {
        let home = root().join("tools/node_modules/kotlin-compiler");
        let jna = std::env::var_os("HARBOR_JNA_JAR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/share/java/jna.jar"));
        let tools = KotlinTools {
            kotlinc: home.join("bin/kotlinc"),
            stdlib: home.join("lib/kotlin-stdlib.jar"),
            coroutines: home.join("lib/kotlinx-coroutines-core-jvm.jar"),
            jna,
        };
        for path in [&tools.kotlinc, &tools.stdlib, &tools.coroutines, &tools.jna] {
            if !path.exists() {
                return Err(format!(
                    "{} is missing (`cargo xtask setup` installs the Kotlin compiler; Debian's libjna-java and openjdk-17-jdk-headless give JNA and Java)",
                    path.display()
                ));
            }
        }
        Ok(tools)
    }
}

/// The compiled Kotlin bindings and test suite, ready to run on the JVM.
struct CompiledKotlin {
    classes: PathBuf,
    tools: KotlinTools,
}

impl CompiledKotlin {
    /// `java` running the suite against `library`.
    fn command(&self, library: &Path) -> Result<Command> {
        let classpath = std::env::join_paths([
            &self.classes,
            &self.tools.stdlib,
            &self.tools.coroutines,
            &self.tools.jna,
        ])
        .map_err(|e| e.to_string())?;
        let mut java = Command::new("java");
        java.arg("-cp")
            .arg(classpath)
            .arg(format!(
                "-Djna.library.path={}",
                library.parent().unwrap_or(Path::new(".")).display()
            ))
            .arg("org.harbor.wallet.test.HarborTestsKt");
        Ok(java)
    }
}

/// Compiles the generated Kotlin and the suite in `mobile-bindings/kotlin/test` (against JNA and
/// kotlinx-coroutines, as an Android app's build does).
fn compile_kotlin() -> Result<CompiledKotlin> {
    let tools = KotlinTools::find()?;
    let classes = target_dir().join("kotlin/classes");
    let _ = std::fs::remove_dir_all(&classes);
    let classpath =
        std::env::join_paths([&tools.coroutines, &tools.jna]).map_err(|e| e.to_string())?;
    let mut kotlinc = Command::new(&tools.kotlinc);
    kotlinc
        .arg("-nowarn")
        .arg("-cp")
        .arg(classpath)
        .arg("-d")
        .arg(&classes)
        .arg(root().join("mobile-bindings/generated/kotlin/org/harbor/wallet/harbor.kt"))
        .arg(root().join("mobile-bindings/kotlin/test"));
    run(&mut kotlinc)?;
    Ok(CompiledKotlin { classes, tools })
}

pub(crate) fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("harbor-bindings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

/// Waits (up to 30 s) until `url` answers over plain HTTP.
pub(crate) fn wait_for(url: &str) -> Result {
    let address = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    for _ in 0..300 {
        if std::net::TcpStream::connect(&address).is_ok() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(format!("the relay did not start at {url}"))
}

/// `cargo xtask mobile android|ios`: native libraries for app projects, where the SDKs exist.
pub(crate) fn mobile(args: &[String]) -> Result {
    match args.first().map(String::as_str) {
        Some("android") => android(),
        Some("ios") => ios(),
        _ => Err("usage: cargo xtask mobile android|ios".into()),
    }
}

/// Builds `jniLibs/<abi>/libharbor_mobile.so` for the Android ABIs with cargo-ndk and lays out
/// a Gradle library module in `mobile-bindings/android`.
fn android() -> Result {
    if !has_program("cargo-ndk") || std::env::var_os("ANDROID_NDK_HOME").is_none() {
        return Err(
            "Android builds need the NDK (ANDROID_NDK_HOME) and `cargo install cargo-ndk`; \
             see mobile-bindings/README.md"
                .into(),
        );
    }
    let module = root().join("mobile-bindings/android");
    let jni = module.join("src/main/jniLibs");
    run(cargo()
        .args([
            "ndk",
            "-t",
            "arm64-v8a",
            "-t",
            "armeabi-v7a",
            "-t",
            "x86_64",
            "-o",
        ])
        .arg(&jni)
        .args(["build", "-p", "harbor-mobile", "--profile", "mobile"]))?;
    let library = build_library("dev")?;
    generate(&library, "kotlin", &module.join("src/main/kotlin"))
}

/// Builds `Harbor.xcframework` (device + simulator) and the Swift package sources.
fn ios() -> Result {
    if !cfg!(target_os = "macos") || !has_program("xcodebuild") {
        return Err("iOS builds need macOS with Xcode; see mobile-bindings/README.md".into());
    }
    let out = root().join("mobile-bindings/ios");
    let targets = ["aarch64-apple-ios", "aarch64-apple-ios-sim"];
    for target in targets {
        run(cargo().args([
            "build",
            "-p",
            "harbor-mobile",
            "--profile",
            "mobile",
            "--target",
            target,
        ]))?;
    }
    let library = build_library("dev")?;
    let headers = out.join("headers");
    generate(&library, "swift", &headers)?;
    let swift_dir = out.join("Sources/Harbor");
    std::fs::create_dir_all(&swift_dir).map_err(|e| e.to_string())?;
    std::fs::rename(headers.join("Harbor.swift"), swift_dir.join("Harbor.swift"))
        .map_err(|e| e.to_string())?;
    std::fs::rename(
        headers.join("HarborFFI.modulemap"),
        headers.join("module.modulemap"),
    )
    .map_err(|e| e.to_string())?;
    let mut command = Command::new("xcodebuild");
    command.arg("-create-xcframework");
    for target in targets {
        command
            .arg("-library")
            .arg(target_dir().join(target).join("mobile/libharbor_mobile.a"))
            .arg("-headers")
            .arg(&headers);
    }
    command.arg("-output").arg(out.join("Harbor.xcframework"));
    run(&mut command)
}
