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
    check_swift_package(&generated)?;
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

/// The FFI overhead seen from Kotlin on the JVM (`kotlin/test/org/harbor/wallet/bench`): a
/// no-op call vs `Vault.signMessage`, in one run, with the same library as the Python bench.
pub(crate) fn kotlin_bench() -> Result {
    let generated = bindings()?;
    let kotlin = compile_kotlin()?;
    let package = jvm_package(
        &kotlin.bindings,
        &generated.library,
        &target_dir().join("mobile/bench"),
    )?;
    run(&mut kotlin.main(&package, "org.harbor.wallet.bench.BenchKt")?)
}

/// Runs the Python and Kotlin suites: offline tests, then live tests against a fresh dev chain
/// and relay (one for both).
pub(crate) fn binding_tests() -> Result {
    let generated = bindings()?;
    crate::desktop::system_packages()?;
    let kotlin = compile_kotlin()?;
    let package = jvm_package(
        &kotlin.bindings,
        &generated.library,
        &target_dir().join("mobile/test"),
    )?;
    // The sample app's screen compiles against the package alone.
    kotlinc(
        &kotlin.tools,
        &[&package, &kotlin.tools.coroutines, &kotlin.tools.jna],
        &[root().join("mobile-bindings/kotlin/sample")],
        &target_dir().join("kotlin/sample"),
    )?;
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
            let mut java = kotlin.command(&package)?;
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
    /// The bindings' classes.
    bindings: PathBuf,
    /// The test suite's classes.
    tests: PathBuf,
    tools: KotlinTools,
}

impl CompiledKotlin {
    /// `java` running the suite with the bindings from `package` (the JVM jar, which carries
    /// the library: no library path is given, JNA finds it inside).
    fn command(&self, package: &Path) -> Result<Command> {
        self.main(package, "org.harbor.wallet.test.HarborTestsKt")
    }

    /// `java` running `class` from the compiled test sources with the bindings from `package`.
    fn main(&self, package: &Path, class: &str) -> Result<Command> {
        let classpath = std::env::join_paths([
            package,
            &self.tests,
            &self.tools.stdlib,
            &self.tools.coroutines,
            &self.tools.jna,
        ])
        .map_err(|e| e.to_string())?;
        let mut java = Command::new("java");
        java.arg("-cp").arg(classpath).arg(class);
        Ok(java)
    }
}

/// Runs kotlinc on `sources` into `out` with `classpath`.
fn kotlinc(tools: &KotlinTools, classpath: &[&Path], sources: &[PathBuf], out: &Path) -> Result {
    let _ = std::fs::remove_dir_all(out);
    let classpath = std::env::join_paths(classpath).map_err(|e| e.to_string())?;
    let mut command = Command::new(&tools.kotlinc);
    command
        .arg("-nowarn")
        .arg("-cp")
        .arg(classpath)
        .arg("-d")
        .arg(out)
        .args(sources);
    run(&mut command)
}

/// Compiles the generated Kotlin (against JNA and kotlinx-coroutines, as an Android app's build
/// does), then the suite in `mobile-bindings/kotlin/test` and the sample in
/// `mobile-bindings/kotlin/sample` against it.
fn compile_kotlin() -> Result<CompiledKotlin> {
    let tools = KotlinTools::find()?;
    let out = target_dir().join("kotlin");
    let bindings = out.join("bindings");
    kotlinc(
        &tools,
        &[&tools.coroutines, &tools.jna],
        &[
            root().join("mobile-bindings/generated/kotlin/org/harbor/wallet/harbor.kt"),
            // Hand-written companions shipped in the same package (the default HTTP transport).
            root().join("mobile-bindings/kotlin/src"),
        ],
        &bindings,
    )?;
    let tests = out.join("tests");
    kotlinc(
        &tools,
        &[&bindings, &tools.coroutines, &tools.jna],
        &[root().join("mobile-bindings/kotlin/test")],
        &tests,
    )?;
    Ok(CompiledKotlin {
        bindings,
        tests,
        tools,
    })
}

/// Maven coordinates and dependencies of the JVM and Android packages.
const GROUP: &str = "org.harbor";
const ARTIFACT: &str = "harbor-wallet";
const JNA_VERSION: &str = "5.13.0";
const COROUTINES_VERSION: &str = "1.8.0";
const KOTLIN_VERSION: &str = "2.4.20";

/// The POM of `artifact` (`jar` or `aar`): what an app's build resolves beside it.
fn pom(packaging: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let jna = if packaging == "aar" {
        // Android loads JNA's own native part from its AAR.
        "<type>aar</type>".to_owned()
    } else {
        String::new()
    };
    let coroutines = if packaging == "aar" {
        "kotlinx-coroutines-android"
    } else {
        "kotlinx-coroutines-core-jvm"
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>{GROUP}</groupId>
  <artifactId>{ARTIFACT}{suffix}</artifactId>
  <version>{version}</version>
  <packaging>{packaging}</packaging>
  <name>Harbor wallet SDK</name>
  <description>Harbor's wallet engine (smart accounts, sponsored gas, social recovery) for Kotlin apps.</description>
  <licenses><license><name>MIT OR Apache-2.0</name></license></licenses>
  <dependencies>
    <dependency><groupId>net.java.dev.jna</groupId><artifactId>jna</artifactId><version>{JNA_VERSION}</version>{jna}</dependency>
    <dependency><groupId>org.jetbrains.kotlinx</groupId><artifactId>{coroutines}</artifactId><version>{COROUTINES_VERSION}</version></dependency>
    <dependency><groupId>org.jetbrains.kotlin</groupId><artifactId>kotlin-stdlib</artifactId><version>{KOTLIN_VERSION}</version></dependency>
  </dependencies>
</project>
"#,
        suffix = if packaging == "aar" {
            "-android"
        } else {
            "-jvm"
        },
    )
}

/// The JNA resource folder of this machine's platform (`linux-x86-64`, `darwin-aarch64` …).
fn jna_platform() -> String {
    let os = if cfg!(target_os = "macos") {
        "darwin"
    } else if cfg!(target_os = "windows") {
        "win32"
    } else {
        "linux"
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x86-64",
        "aarch64" => "aarch64",
        other => other,
    };
    format!("{os}-{arch}")
}

/// The JVM package: the compiled bindings and `library` (as JNA's resource for this platform)
/// in `harbor-wallet-jvm-<version>.jar`, with its POM, under `out`; returns the jar.
fn jvm_package(bindings: &Path, library: &Path, out: &Path) -> Result<PathBuf> {
    let version = env!("CARGO_PKG_VERSION");
    let staging = out.join("jvm-staging");
    let _ = std::fs::remove_dir_all(&staging);
    let native = staging.join(jna_platform());
    std::fs::create_dir_all(&native).map_err(|e| e.to_string())?;
    std::fs::copy(library, native.join(library_name())).map_err(|e| e.to_string())?;
    let jar = out.join(format!("{ARTIFACT}-jvm-{version}.jar"));
    let _ = std::fs::remove_file(&jar);
    // META-INF carries the `.kotlin_module` that makes the top-level functions visible.
    run(Command::new("jar")
        .arg("cf")
        .arg(&jar)
        .arg("-C")
        .arg(bindings)
        .arg(".")
        .arg("-C")
        .arg(&staging)
        .arg(jna_platform()))?;
    std::fs::write(
        out.join(format!("{ARTIFACT}-jvm-{version}.pom")),
        pom("jar"),
    )
    .map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&staging);
    Ok(jar)
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
/// The Android ABIs packaged.
const ANDROID_ABIS: [&str; 3] = ["arm64-v8a", "armeabi-v7a", "x86_64"];

/// `cargo xtask mobile android`: the JVM package (always), and the `.aar` where the NDK exists.
fn android() -> Result {
    let out = target_dir().join("mobile/android");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    crate::desktop::system_packages()?;
    bindings()?;
    let kotlin = compile_kotlin()?;
    let library = build_library("mobile")?;
    let jar = jvm_package(&kotlin.bindings, &library, &out)?;
    println!("mobile: JVM package {} (+ .pom)", jar.display());
    if !has_program("cargo-ndk") || std::env::var_os("ANDROID_NDK_HOME").is_none() {
        println!(
            "mobile: no Android NDK (ANDROID_NDK_HOME) or cargo-ndk here, so no .aar; \
             the JVM package above is built (`cargo xtask bindings --test` runs the Kotlin suite from \
             the same packaging; see mobile-bindings/README.md)"
        );
        return Ok(());
    }
    let staging = out.join("aar-staging");
    let _ = std::fs::remove_dir_all(&staging);
    let jni = staging.join("jni");
    let mut ndk = cargo();
    ndk.arg("ndk");
    for abi in ANDROID_ABIS {
        ndk.args(["-t", abi]);
    }
    run(ndk
        .arg("-o")
        .arg(&jni)
        .args(["build", "-p", "harbor-mobile", "--profile", "mobile"]))?;
    std::fs::write(
        staging.join("AndroidManifest.xml"),
        format!(
            "<manifest xmlns:android=\"http://schemas.android.com/apk/res/android\" package=\"{GROUP}.wallet\">\n  <uses-sdk android:minSdkVersion=\"24\" />\n  <uses-permission android:name=\"android.permission.INTERNET\" />\n</manifest>\n"
        ),
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(staging.join("R.txt"), "").map_err(|e| e.to_string())?;
    run(Command::new("jar")
        .arg("cf")
        .arg(staging.join("classes.jar"))
        .arg("-C")
        .arg(&kotlin.bindings)
        .arg("."))?;
    let version = env!("CARGO_PKG_VERSION");
    let aar = out.join(format!("{ARTIFACT}-android-{version}.aar"));
    let _ = std::fs::remove_file(&aar);
    run(Command::new("jar")
        .arg("cfM")
        .arg(&aar)
        .arg("-C")
        .arg(&staging)
        .arg("."))?;
    std::fs::write(
        out.join(format!("{ARTIFACT}-android-{version}.pom")),
        pom("aar"),
    )
    .map_err(|e| e.to_string())?;
    println!("mobile: Android package {} (+ .pom)", aar.display());
    Ok(())
}

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
    run(&mut command)?;
    std::fs::write(out.join("Package.swift"), swift_package()).map_err(|e| e.to_string())?;
    println!("mobile: Swift package in {}", out.display());
    Ok(())
}

/// The Swift package around the xcframework: the `HarborFFI` binary target (the C functions and
/// their module map) and the `Harbor` target over the generated Swift source.
fn swift_package() -> String {
    format!(
        r#"// swift-tools-version:5.9
// Generated by `cargo xtask mobile ios` (harbor-mobile {version}).
import PackageDescription

let package = Package(
    name: "Harbor",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [.library(name: "Harbor", targets: ["Harbor"])],
    targets: [
        .binaryTarget(name: "HarborFFI", path: "Harbor.xcframework"),
        .target(name: "Harbor", dependencies: ["HarborFFI"], path: "Sources/Harbor"),
    ]
)
"#,
        version = env!("CARGO_PKG_VERSION")
    )
}

/// The Swift package, the generated Swift and its module map agree on the module names (what
/// can be checked without Xcode).
fn check_swift_package(generated: &Path) -> Result {
    let manifest = swift_package();
    let swift =
        std::fs::read_to_string(generated.join("swift/Harbor.swift")).map_err(|e| e.to_string())?;
    let modulemap = std::fs::read_to_string(generated.join("swift/HarborFFI.modulemap"))
        .map_err(|e| e.to_string())?;
    let checks = [
        (
            swift.contains("import HarborFFI"),
            "Harbor.swift imports HarborFFI",
        ),
        (
            modulemap.contains("module HarborFFI"),
            "the module map declares HarborFFI",
        ),
        (
            modulemap.contains("header \"HarborFFI.h\""),
            "the module map names HarborFFI.h",
        ),
        (
            generated.join("swift/HarborFFI.h").exists(),
            "HarborFFI.h is generated",
        ),
        (
            manifest.contains(r#".binaryTarget(name: "HarborFFI", path: "Harbor.xcframework")"#),
            "Package.swift has the HarborFFI binary target",
        ),
        (
            manifest.contains(r#"path: "Sources/Harbor""#),
            "Package.swift finds the Swift source where `mobile ios` puts it",
        ),
    ];
    for (holds, what) in checks {
        if !holds {
            return Err(format!(
                "the Swift package is inconsistent: not so that {what}"
            ));
        }
    }
    std::fs::write(generated.join("swift/Package.swift"), manifest).map_err(|e| e.to_string())
}
