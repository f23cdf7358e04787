// The bindings from Kotlin on the JVM, as an Android app would use them: coroutines for the
// suspending calls, `HarborException` subclasses caught by type, a `SecureStore` and a
// `SendListener` implemented in Kotlin and called from the library's threads. Offline tests
// always run; the live ones need a dev chain and the relay (HARBOR_RPC_URL, HARBOR_RELAY_URL,
// HARBOR_DEV_TOKEN), as `cargo xtask bindings --test` starts them.
package org.harbor.wallet.test

import java.io.File
import java.net.HttpURLConnection
import java.net.URI
import java.nio.file.Files
import java.util.Collections
import java.util.concurrent.ConcurrentHashMap
import kotlin.system.exitProcess
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.harbor.wallet.*

const val ABANDON =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
// m/44'/60'/0'/0/0 of the phrase above (BIP-44 test vector, also in the core's tests).
const val ABANDON_ADDRESS = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
const val PASSWORD = "correct horse battery"

class Failure(message: String) : AssertionError(message)

fun check(condition: Boolean, what: () -> String) {
    if (!condition) throw Failure(what())
}

fun <T> eq(actual: T, expected: T, what: String = "") {
    check(actual == expected) { "$what: expected <$expected>, got <$actual>" }
}

/** Runs `block`, which must throw an `E`; returns it. */
inline fun <reified E : Throwable> expect(block: () -> Unit): E {
    try {
        block()
    } catch (e: Throwable) {
        if (e is E) return e
        throw Failure("expected ${E::class.simpleName}, got $e")
    }
    throw Failure("expected ${E::class.simpleName}, nothing was thrown")
}

fun tempDir(): File = Files.createTempDirectory("harbor-kotlin").toFile().also { it.deleteOnExit() }

// ---- offline ----

fun versionAndNoop() {
    eq(harborVersion(), "0.1.0", "version")
    noop()
}

fun mnemonicsInEveryLanguage() {
    for (language in Language.values()) {
        val phrase = generateMnemonic(language, 24u)
        eq(phrase.wordCount(), 24u, "$language words")
        eq(phrase.language(), language)
        val info = validateMnemonic(phrase.wordsToShow().joinToString(" "))
        eq(info.language, language)
        eq(mnemonicWords(language).size, 2048, "$language list")
        phrase.close()
    }
}

fun invalidMnemonicNamesPositionsNotWords() {
    val error = expect<HarborException.InvalidPhrase> {
        validateMnemonic("abandon ".repeat(10) + "harborx about")
    }
    eq(error.unknownWordPositions, listOf(11u), "positions")
    check(!error.reason.contains("harborx") && !error.toString().contains("harborx")) {
        "the unknown word is repeated: $error"
    }
    expect<HarborException.InvalidPhrase> { generateMnemonic(Language.ENGLISH, 13u) }
}

fun vaultLifecycleAndSigning() = runBlocking {
    val path = File(tempDir(), "wallet.harbor").path
    var vault = createVault(path, PASSWORD, true)
    val wallet = vault.importMnemonic("Main", ABANDON, "")
    check(wallet.isMnemonic) { "a phrase wallet" }
    val account = vault.accounts(wallet.id).single()
    eq(account.ownerAddress, ABANDON_ADDRESS, "owner")
    eq(account.smartAccount, smartAccountAddress(ABANDON_ADDRESS), "smart account")
    eq(vault.addAccount(wallet.id, "Savings").index, 1u, "second index")

    val signature = vault.signMessage(wallet.id, 0u, "hello".toByteArray())
    check(signature.startsWith("0x") && signature.length == 132) { signature }
    val typed = """{"types": {"EIP712Domain": [{"name": "name", "type": "string"},
        {"name": "chainId", "type": "uint256"}], "Mail": [{"name": "contents", "type": "string"}]},
        "primaryType": "Mail", "domain": {"name": "Harbor", "chainId": 1},
        "message": {"contents": "hi"}}"""
    eq(vault.signTypedData(wallet.id, 0u, typed, 1uL).length, 132, "typed data")
    // Signed for another chain than the one active: refused, with the reason.
    val other = expect<HarborException.InvalidInput> { vault.signTypedData(wallet.id, 0u, typed, 10uL) }
    check(other.reason.isNotEmpty()) { "a reason" }
    val tx = """{"to": "0x1111111111111111111111111111111111111111", "value": "0x1",
        "chainId": "0x7a69", "nonce": "0x0", "gas": "0x5208", "maxFeePerGas": "0x77359400",
        "maxPriorityFeePerGas": "0x3b9aca00"}"""
    check(vault.signTransaction(wallet.id, 0u, tx, 31337uL).startsWith("0x02")) { "EIP-1559" }

    vault.lock()
    expect<HarborException.Locked> { vault.signMessage(wallet.id, 0u, "hello".toByteArray()) }
    vault.close()
    vault = Vault.open(path)
    check(!vault.isUnlocked()) { "opened locked" }
    val wrong = runCatching { vault.unlock("not the password") }.exceptionOrNull()
    check(wrong is HarborException.WrongPassword) { "wrong password: $wrong" }
    vault.unlock(PASSWORD)
    eq(vault.signMessage(wallet.id, 0u, "hello".toByteArray()), signature, "same signature")
    vault.changePassword(PASSWORD, "another long password", null)
    expect<HarborException.WrongPassword> { vault.exportMnemonic(wallet.id, PASSWORD) }
    eq(vault.exportMnemonic(wallet.id, "another long password"), ABANDON, "phrase")
    vault.close()
}

/** What an app's Keystore wrapper does, in memory; called from the library's threads. */
class MapStore : SecureStore {
    val items = ConcurrentHashMap<String, ByteArray>()
    val threads: MutableSet<String> = Collections.synchronizedSet(mutableSetOf())

    override fun put(name: String, secret: ByteArray) {
        threads.add(Thread.currentThread().name)
        items[name] = secret.copyOf()
    }

    override fun get(name: String): ByteArray? {
        threads.add(Thread.currentThread().name)
        return items[name]?.copyOf()
    }

    override fun delete(name: String) {
        items.remove(name)
    }
}

fun secureStoreUnlock() = runBlocking {
    val path = File(tempDir(), "wallet.harbor").path
    val store = MapStore()
    var vault = createVault(path, PASSWORD, true)
    vault.enableSecureStoreUnlock(store)
    check(vault.secureStoreUnlockEnabled()) { "enabled" }
    eq(store.items.size, 1, "one item")
    check(store.items.values.none { String(it, Charsets.ISO_8859_1).contains(PASSWORD) }) {
        "the password is in the store"
    }
    vault.close()
    vault = Vault.open(path)
    vault.unlockWithSecureStore(store)
    check(vault.isUnlocked()) { "unlocked by the store" }
    // The app lost its key (biometrics reset): a clear error, the password still works.
    store.items.clear()
    vault.lock()
    expect<HarborException.SecureStore> { vault.unlockWithSecureStore(store) }
    vault.unlock(PASSWORD)
    vault.close()
}

fun paperShares() = runBlocking {
    val groups = splitMnemonicIntoShares(ABANDON, 1u, listOf(ShareGroup(2u, 3u)), "paper")
    val shares = groups.single()
    check(shares.size == 3 && shares.all { it.split(" ").size == 20 }) { "three 20-word shares" }
    eq(combineSharesToMnemonic(listOf(shares[2], shares[0]), "paper", Language.ENGLISH), ABANDON)
    val one = expect<HarborException.InvalidShares> {
        combineSharesToMnemonic(listOf(shares[1]), "paper", Language.ENGLISH)
    }
    check("needs 2 shares" in one.reason) { one.reason }
    val vault = createVault(File(tempDir(), "w.harbor").path, PASSWORD, true)
    val restored = vault.importShares("Paper", shares.take(2), "paper", Language.ENGLISH, ABANDON_ADDRESS)
    eq(vault.accounts(restored.id).single().ownerAddress, ABANDON_ADDRESS)
    val spanish = expect<HarborException.InvalidShares> {
        vault.importShares("Wrong", shares.take(2), "paper", Language.SPANISH, ABANDON_ADDRESS)
    }
    check("check the language" in spanish.reason) { spanish.reason }
    vault.close()
}

fun amountsAndAddresses() {
    eq(parseAmount("12.5", 6u), "12500000")
    eq(formatAmount("12500000", 6u), "12.5")
    expect<HarborException.InvalidInput> { parseAmount("1.2.3", 6u) }
    eq(checksumAddress(ABANDON_ADDRESS.lowercase()), ABANDON_ADDRESS)
    check(!isAddress("0x123")) { "not an address" }
    eq(suggestedThreshold(3u), 2u)
}

fun signingFromManyCoroutinesAtOnce() = runBlocking {
    val vault = createVault(File(tempDir(), "w.harbor").path, PASSWORD, true)
    val wallet = vault.importMnemonic("Main", ABANDON, "")
    val expected = vault.signMessage(wallet.id, 0u, "same".toByteArray())
    val signatures = (1..32).map {
        async(Dispatchers.Default) { vault.signMessage(wallet.id, 0u, "same".toByteArray()) }
    }.awaitAll()
    check(signatures.all { it == expected }) { "signatures differ across threads" }
    vault.close()
}

// ---- live ----

fun rpc(method: String, params: String): String {
    val connection = URI(System.getenv("HARBOR_RPC_URL")).toURL().openConnection() as HttpURLConnection
    connection.requestMethod = "POST"
    connection.doOutput = true
    connection.setRequestProperty("content-type", "application/json")
    connection.outputStream.use {
        it.write("""{"jsonrpc":"2.0","id":1,"method":"$method","params":$params}""".toByteArray())
    }
    val reply = connection.inputStream.use { String(it.readAllBytes()) }
    check(!reply.contains("\"error\"")) { reply }
    return reply
}

fun devChain(): ChainInfo {
    val relay = System.getenv("HARBOR_RELAY_URL")
    return ChainInfo(31337uL, "Harbor dev chain", "ETH", System.getenv("HARBOR_RPC_URL"), relay, relay, null, true)
}

/** Records the stages of a send, and on which threads the library reported them. */
class Stages : SendListener {
    val seen: MutableList<String> = Collections.synchronizedList(mutableListOf())
    val threads: MutableSet<String> = Collections.synchronizedSet(mutableSetOf())

    override fun onProgress(stage: SendStage) {
        threads.add(Thread.currentThread().name)
        seen.add(stage::class.simpleName ?: "?")
    }
}

/** The app's HTTP stack as the library sees it: the shipped transport, with requests counted. */
class CountingTransport(private val inner: HttpTransport = UrlConnectionTransport("harbor-kotlin-tests")) : HttpTransport {
    val requests = java.util.concurrent.atomic.AtomicInteger()
    val threads: MutableSet<String> = Collections.synchronizedSet(mutableSetOf())

    override fun send(request: HttpRequest): HttpResponse {
        requests.incrementAndGet()
        threads.add(Thread.currentThread().name)
        return inner.send(request)
    }
}

val transport = CountingTransport()

/** A device: its vault, the wallet over it, and its one account. */
data class Device(val vault: Vault, val wallet: Wallet, val account: WalletAccount)

/** A new vault with the dev chain and a new phrase wallet. */
suspend fun newWallet(dir: File, name: String): Device {
    val vault = createVault(File(dir, "$name.harbor").path, PASSWORD, true)
    vault.saveChain(devChain())
    vault.addNewPhrase(name, generateMnemonic(Language.ENGLISH, 12u), "")
    val wallet = Wallet(vault)
    return Device(vault, wallet, wallet.accounts().single())
}

fun sponsoredSendGuardiansAndRecovery() = runBlocking {
    val dir = tempDir()
    val (_, wallet, account) = newWallet(dir, "ana")
    val smart = account.address
    rpc("anvil_setBalance", """["$smart", "0xde0b6b3a7640000"]""")
    val token = System.getenv("HARBOR_DEV_TOKEN")
    val tokens = listOf(TokenRef(31337uL, token))
    val sentBefore = transport.requests.get()
    val before = wallet.balances(smart, tokens).single()
    check(before.error == null) { "balances: ${before.error}" }
    check(transport.requests.get() > sentBefore) { "the library bypassed the app's HTTP transport" }
    check(transport.threads.none { it == "main" }) { "HTTP on the caller's thread: ${transport.threads}" }
    eq(before.amounts.first().formatted, "1", "1 ETH")

    val friend = "0x" + "f1".repeat(20)
    val request = SendRequest(smart, 31337uL, friend, "0.25", null)
    val review = wallet.reviewSend(request)
    check(review.sponsored && review.createsAccount && review.amount == "0.25") { "$review" }
    expect<HarborException.InsufficientFunds> {
        runBlocking { wallet.reviewSend(SendRequest(smart, 31337uL, friend, "5", null)) }
    }
    val stages = Stages()
    val receipt = wallet.send(request, stages)
    eq(receipt.sponsor, "Harbor dev sponsor", "sponsor")
    eq(receipt.account, smart, "account")
    check(receipt.transactionHash != null) { "a transaction" }
    eq(stages.seen.first(), "Preparing", "first stage")
    eq(stages.seen.last(), "Included", "last stage ${stages.seen}")
    // Reported from the library's own threads (an app hops to its main thread for UI).
    check(stages.threads.isNotEmpty() && Thread.currentThread().name !in stages.threads) {
        "listener threads ${stages.threads}"
    }
    // Signed by the deployed smart account: a 65-byte ERC-1271 signature.
    eq(wallet.signMessage(smart, 31337uL, "hello".toByteArray()).length, 2 + 2 * 65, "ERC-1271")

    val calls = listOf(Call(friend, "100000000000000000", "0x"))
    wallet.sendCalls(smart, 31337uL, calls, "Sent 0.1 ETH to a friend", null)
    val after = wallet.balances(smart, tokens).single()
    eq(after.amounts.first().formatted, "0.65", "no gas paid")
    // A sponsored send the account cannot afford: a typed error.
    val big = listOf(Call(friend, "5000000000000000000", "0x"))
    val rejected = runCatching { wallet.sendCalls(smart, 31337uL, big, "too much", null) }.exceptionOrNull()
    check(rejected is HarborException.Rejected) { "too much: $rejected" }

    // Guardians: two friends and a tablet, 2 of 3, set in one sponsored operation.
    val others = listOf("bob", "carol", "tablet").map { newWallet(dir, it) }
    val named = listOf(
        Guardian(others[0].account.owner, "Bob", GuardianKind.PERSON),
        Guardian(others[1].account.owner, "Carol", GuardianKind.PERSON),
        Guardian(others[2].account.owner, "My tablet", GuardianKind.OWN_DEVICE),
    )
    eq(wallet.setGuardians(smart, named, 2u, Stages()), 1u, "chains set")
    val guarded = wallet.guardians(smart).single()
    eq(guarded.threshold, 2u, "threshold")
    eq(guarded.guardians.map { it.name }, listOf("Bob", "Carol", "My tablet"), "names")

    // The phone is lost. A new device: new vault, new key, a request for the guardians.
    val (phoneVault, firstPhone, phoneAccount) = newWallet(dir, "phone")
    var phone = firstPhone
    var progress = phone.startRecovery(smart, null, 0u, 86_400uL, "new phone")
    eq(progress.chains.map { it.stage }, listOf("collectingApprovals"), "stage")
    eq(progress.newOwner, phoneAccount.owner, "new owner")
    for ((_, guardianWallet, guardianAccount) in others.take(2)) {
        val summary = guardianWallet.describeRequest(progress.requestLink, "Ana")
        check("Ana's account" in summary.description && summary.account == smart) { "$summary" }
        val approval = guardianWallet.approveRequest(progress.requestLink, guardianAccount.address, false)
        progress = phone.addApproval(progress.id, approval)
    }
    eq(progress.chains.single().stage, "readyToSubmit", "ready")
    // A stranger's approval is refused with its reason.
    val (_, stranger, strangerAccount) = newWallet(dir, "stranger")
    val bad = stranger.approveRequest(progress.requestLink, strangerAccount.address, false)
    val refused = runCatching { phone.addApproval(progress.id, bad) }.exceptionOrNull()
    check(refused is HarborException.Recovery && "is not a guardian" in refused.reason) { "$refused" }

    // The app restarts: the recovery is still there.
    phone.close()
    phoneVault.close()
    val reopened = Vault.open(File(dir, "phone.harbor").path)
    reopened.unlock(PASSWORD)
    phone = Wallet(reopened)
    eq(phone.recoveries().single().id, progress.id, "saved recovery")
    progress = phone.advanceRecovery(progress.id, null)
    eq(progress.chains.single().stage, "started", "started: ${progress.chains.single().lastError}")
    val pending = wallet.alerts(smart).single()
    check(pending.kind == AlertKind.PENDING && pending.cancellable && pending.newOwner == phoneAccount.owner) {
        "$pending"
    }

    // Two days later (anvil time travel; the relay sees the new time on its next poll).
    rpc("evm_increaseTime", "[172801]")
    rpc("evm_mine", "[]")
    for (attempt in 1..40) {
        Thread.sleep(250)
        progress = phone.advanceRecovery(progress.id, null)
        if (progress.chains.single().stage == "executed") break
    }
    check(progress.finished) { "not executed: ${progress.chains.single().lastError}" }
    val recovered = phone.accounts().filter { it.recovered }.map { it.address }
    eq(recovered, listOf(smart), "recovered account")
    eq(phone.sendCalls(smart, 31337uL, listOf(Call(friend, "1", "0x")), "after recovery", null).account, smart)
    val old = runCatching { wallet.sendCalls(smart, 31337uL, listOf(Call(friend, "1", "0x")), "old", null) }
    check(old.exceptionOrNull() is HarborException.Rejected) { "the old key: ${old.exceptionOrNull()}" }
    val taken = wallet.alerts(smart).single()
    check(taken.kind == AlertKind.TAKEN && "another key" in taken.message) { "$taken" }
}

// ---- a page in the app's WebView, through the dApp engine (as python/tests/test_dapp.py) ----

const val ORIGIN = "https://shop.example"

suspend fun DappEngine.ask(method: String, params: String): DappAnswer =
    request(ORIGIN, """{"method":"$method","params":$params}""")

fun result(answer: DappAnswer): String {
    check(answer is DappAnswer.Result) { "expected a result, got $answer" }
    return (answer as DappAnswer.Result).json
}

fun pendingOf(answer: DappAnswer): DappPendingRequest {
    check(answer is DappAnswer.Pending) { "expected a pending request, got $answer" }
    return (answer as DappAnswer.Pending).request
}

fun word(hex: String) = hex.removePrefix("0x").lowercase().padStart(64, '0')

fun aPageConnectsSignsInAndSendsABatch() = runBlocking {
    val (_, wallet, account) = newWallet(tempDir(), "page")
    val smart = account.address
    val token = System.getenv("HARBOR_DEV_TOKEN")
    rpc(
        "eth_sendTransaction",
        """[{"from":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","to":"$token","data":"0x40c10f19${word(smart)}${word("989680")}"}]""",
    )
    val engine = DappEngine(wallet)

    // Before connecting: the chain, no account, no signatures.
    eq(result(engine.ask("eth_chainId", "[]")), "\"0x7a69\"", "chain id")
    eq(result(engine.ask("eth_accounts", "[]")), "[]", "no accounts yet")
    val refused = engine.ask("personal_sign", """["0x00","$smart"]""")
    check(refused is DappAnswer.Error && refused.code == 4100L) { "unauthorized: $refused" }

    // Connecting waits for the person; the summary says who asks.
    val connect = pendingOf(engine.ask("eth_requestAccounts", "[]"))
    eq(connect.kind, "connect", "kind")
    eq(connect.title, "https://shop.example wants to connect to Harbor", "title")
    eq(engine.pending().map { it.id }, listOf(connect.id), "pending")
    eq(result(engine.approve(connect.id, null)), "[\"${smart.lowercase()}\"]", "accounts")
    eq(engine.takeEvents().map { it.name }, listOf("connect", "accountsChanged"), "events")
    eq(engine.sessions().single().account, smart, "session")

    // A sign-in for this very site: no warnings; ERC-6492 while the account is not deployed.
    val issued = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
    val siwe = "shop.example wants you to sign in with your Ethereum account:\n$smart\n\n" +
        "URI: https://shop.example\nVersion: 1\nChain ID: 31337\nNonce: abcdef123\nIssued At: $issued"
    val siweJson = siwe.replace("\n", "\\n")
    val signIn = pendingOf(engine.ask("personal_sign", """["$siweJson","$smart"]"""))
    check(signIn.kind == "signIn" && signIn.warnings.isEmpty()) { "$signIn" }
    check(result(engine.approve(signIn.id, null)).trim('"').endsWith("6492".repeat(16))) { "ERC-6492" }

    // The person says no: 4001.
    val again = pendingOf(engine.ask("personal_sign", """["0x68656c6c6f","$smart"]"""))
    val rejected = engine.reject(again.id)
    check(rejected is DappAnswer.Error && rejected.code == 4001L) { "$rejected" }

    // Two token transfers in one sponsored batch, simulated before approval, followed to the end.
    val friend = "0x" + "b1".repeat(20)
    val other = "0x" + "b2".repeat(20)
    val batch = pendingOf(
        engine.ask(
            "wallet_sendCalls",
            """[{"version":"2.0.0","chainId":"0x7a69","from":"$smart","atomicRequired":true,"calls":[""" +
                """{"to":"$token","data":"0xa9059cbb${word(friend)}${word("f4240")}"},""" +
                """{"to":"$token","data":"0xa9059cbb${word(other)}${word("1e8480")}"}]}]""",
        ),
    )
    check(batch.kind == "calls" && batch.warnings.isEmpty()) { "$batch" }
    check(batch.lines.any { "You send 2 HDD" in it }) { "${batch.lines}" }
    check(batch.payer?.startsWith("Gas is paid by") == true) { "${batch.payer}" }
    val id = Regex("\"id\":\"([^\"]+)\"").find(result(engine.approve(batch.id, null)))!!.groupValues[1]
    var status = ""
    for (i in 0 until 200) {
        status = result(engine.ask("wallet_getCallsStatus", """["$id"]"""))
        if (!status.contains("\"status\":100")) break
        kotlinx.coroutines.delay(200)
    }
    check(status.contains("\"status\":200") && status.contains("\"atomic\":true")) { status }

    // Malformed and refused requests get their codes, never a crash.
    for ((method, params, code) in listOf(
        Triple("eth_sign", """["$smart","0x${"11".repeat(32)}"]""", 4200L),
        Triple("wallet_getCallsStatus", "[\"0xdoesnotexist\"]", 5730L),
        Triple("wallet_switchEthereumChain", """[{"chainId":"0x424242"}]""", 4902L),
        Triple("no_such_method", "[]", 4200L),
    )) {
        val answer = engine.ask(method, params)
        check(answer is DappAnswer.Error && answer.code == code) { "$method: $answer" }
    }
    val notJson = engine.request(ORIGIN, "{")
    check(notJson is DappAnswer.Error && notJson.code == -32700L) { "$notJson" }

    // Disconnecting: no account any more.
    check(engine.disconnect(ORIGIN)) { "disconnect" }
    eq(engine.takeEvents().map { it.name to it.dataJson }, listOf("accountsChanged" to "[]"), "events")
    eq(result(engine.ask("eth_accounts", "[]")), "[]", "disconnected")
}

// ---- keys the app holds: a keystore key and a passkey (P-256, ADR 0014) ----

/** 32 big-endian bytes of a coordinate. */
fun coordinate(v: java.math.BigInteger): ByteArray {
    val b = v.toByteArray()
    return when {
        b.size == 32 -> b
        b.size > 32 -> b.copyOfRange(b.size - 32, b.size)
        else -> ByteArray(32 - b.size) + b
    }
}

fun p256KeyPair(): java.security.KeyPair =
    java.security.KeyPairGenerator.getInstance("EC").apply {
        initialize(java.security.spec.ECGenParameterSpec("secp256r1"))
    }.generateKeyPair()

fun sec1(pair: java.security.KeyPair): ByteArray {
    val w = (pair.public as java.security.interfaces.ECPublicKey).w
    return byteArrayOf(4) + coordinate(w.affineX) + coordinate(w.affineY)
}

/** What an Android Keystore key does: sign the digest as given ("NONEwithECDSA"), DER out. */
class JcaPlatformKey : PlatformKey {
    private val pair = p256KeyPair()
    val signed = java.util.concurrent.atomic.AtomicInteger()

    override fun publicKey(): ByteArray = sec1(pair)

    override fun signDigest(digest: ByteArray): ByteArray {
        check(digest.size == 32) { "a digest has 32 bytes" }
        signed.incrementAndGet()
        return java.security.Signature.getInstance("NONEwithECDSA").run {
            initSign(pair.private)
            update(digest)
            sign()
        }
    }
}

/** A passkey authenticator in software, answering as a phone's does (user verified). */
class SoftPasskey : PasskeyAuthenticator {
    private val pair = p256KeyPair()
    val asked = java.util.concurrent.atomic.AtomicInteger()

    override fun publicKey(): ByteArray = sec1(pair)

    override fun getAssertion(challenge: ByteArray): PasskeyAssertion {
        asked.incrementAndGet()
        val sha256 = java.security.MessageDigest.getInstance("SHA-256")
        val authenticatorData = sha256.digest("wallet.harbor.example".toByteArray()) + byteArrayOf(0x05, 0, 0, 0, 1)
        val encoded = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(challenge)
        val json = """{"type":"webauthn.get","challenge":"$encoded","origin":"https://wallet.harbor.example","crossOrigin":false}"""
            .toByteArray()
        val signature = java.security.Signature.getInstance("SHA256withECDSA").run {
            initSign(pair.private)
            update(authenticatorData + sha256.digest(json))
            sign()
        }
        return PasskeyAssertion(authenticatorData, json, signature)
    }
}

fun keystoreKeyAndPasskeyAccountsSend() = runBlocking {
    val (_, wallet, _) = newWallet(tempDir(), "keys")
    val key = JcaPlatformKey()
    val passkey = SoftPasskey()
    val friend = "0x" + "f2".repeat(20)
    val accounts = listOf(wallet.addPlatformKeyAccount(key), wallet.addPasskeyAccount(passkey))
    check(accounts.distinct().size == 2 && accounts.none { a -> wallet.accounts().any { it.address == a } }) {
        "key accounts: $accounts"
    }
    for (account in accounts) {
        rpc("anvil_setBalance", """["$account", "0xde0b6b3a7640000"]""")
        val stages = Stages()
        val receipt = wallet.send(SendRequest(account, 31337uL, friend, "0.1", null), stages)
        check(receipt.transactionHash != null && receipt.account == account) { "$receipt" }
        eq(stages.seen.last(), "Included", "last stage")
    }
    check(key.signed.get() >= 1 && passkey.asked.get() >= 1) { "the app's keys were not asked" }
    // Signed messages in the account's P-256 forms (ERC-1271): 0x01 raw, 0x02 WebAuthn.
    check(wallet.signMessage(accounts[0], 31337uL, "hello".toByteArray()).startsWith("0x01")) { "raw form" }
    check(wallet.signMessage(accounts[1], 31337uL, "hello".toByteArray()).startsWith("0x02")) { "WebAuthn form" }
    // A key that is not P-256 is refused at once.
    val broken = object : PlatformKey {
        override fun publicKey(): ByteArray = ByteArray(33)
        override fun signDigest(digest: ByteArray): ByteArray = ByteArray(64)
    }
    expect<HarborException.InvalidInput> { wallet.addPlatformKeyAccount(broken) }
}

/** No answer from the network: the app's transport throws, the caller gets a `Network` error. */
fun networkFailureFromTheAppsTransport() = runBlocking {
    val dir = tempDir()
    val vault = createVault(File(dir, "offline.harbor").path, PASSWORD, true)
    vault.saveChain(ChainInfo(31337uL, "Nowhere", "ETH", "http://127.0.0.1:9", "http://127.0.0.1:9", null, null, true))
    vault.addNewPhrase("w", generateMnemonic(Language.ENGLISH, 12u), "")
    val wallet = Wallet(vault)
    val account = wallet.accounts().single().address
    val offline = object : HttpTransport {
        override fun send(request: HttpRequest): HttpResponse = throw HarborException.Network("the phone is offline")
    }
    setHttpTransport(offline)
    try {
        val answer = wallet.balances(account, emptyList()).single()
        check(answer.error?.contains("offline") == true) { "expected the transport's reason, got ${answer.error}" }
    } finally {
        setHttpTransport(transport)
    }
    val refused = wallet.balances(account, emptyList()).single()
    check(refused.error != null && !refused.error!!.contains("127.0.0.1:9/")) { "${refused.error}" }
    vault.close()
}

fun main() {
    setHttpTransport(transport)
    val offline = listOf(
        ::versionAndNoop,
        ::mnemonicsInEveryLanguage,
        ::invalidMnemonicNamesPositionsNotWords,
        ::vaultLifecycleAndSigning,
        ::secureStoreUnlock,
        ::paperShares,
        ::amountsAndAddresses,
        ::signingFromManyCoroutinesAtOnce,
        ::networkFailureFromTheAppsTransport,
    )
    val live = listOf(
        ::sponsoredSendGuardiansAndRecovery,
        ::aPageConnectsSignsInAndSendsABatch,
        ::keystoreKeyAndPasskeyAccountsSend,
    )
    val haveChain = System.getenv("HARBOR_RPC_URL") != null && System.getenv("HARBOR_RELAY_URL") != null
    var failed = 0
    var ran = 0
    for (test in offline + if (haveChain) live else emptyList()) {
        val started = System.nanoTime()
        try {
            test()
            ran++
            println("ok    ${test.name} (${(System.nanoTime() - started) / 1_000_000} ms)")
        } catch (e: Throwable) {
            failed++
            println("FAIL  ${test.name}: $e")
            e.printStackTrace()
        }
    }
    if (!haveChain) println("skipped ${live.size} live tests (no HARBOR_RPC_URL / HARBOR_RELAY_URL)")
    println("kotlin: $ran passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
