// FFI overhead from Kotlin on the JVM, measured in one run (`cargo xtask bench`): a no-op call
// across the boundary vs `Vault.signMessage` (EIP-191 with a vault key), as the Python bench
// does — the figure is their ratio, since absolute times vary between machines.
package org.harbor.wallet.bench

import java.io.File
import kotlinx.coroutines.runBlocking
import org.harbor.wallet.*
import org.harbor.wallet.test.ABANDON
import org.harbor.wallet.test.PASSWORD
import org.harbor.wallet.test.tempDir

/** Nanoseconds per call of `block`: the best of five rounds of `calls` calls, after a warm-up. */
fun best(calls: Int, block: () -> Unit): Double {
    repeat(calls) { block() }
    return (1..5).minOf {
        val started = System.nanoTime()
        repeat(calls) { block() }
        (System.nanoTime() - started).toDouble() / calls
    }
}

fun main() = runBlocking {
    val vault = createVault(File(tempDir(), "bench.harbor").path, PASSWORD, true)
    val wallet = vault.importMnemonic("Bench", ABANDON, "")
    val message = "hello".toByteArray()
    val noopNs = best(20_000) { noop() }
    val versionNs = best(20_000) { harborVersion() }
    val signNs = best(500) { vault.signMessage(wallet.id, 0u, message) }
    println(
        "FFI from Kotlin: noop %.2f us, harborVersion %.2f us, signMessage %.1f us"
            .format(noopNs / 1e3, versionNs / 1e3, signNs / 1e3),
    )
    println(
        "  signMessage / noop = %.0fx (the boundary is %.1f %% of a signature)"
            .format(signNs / noopNs, noopNs / signNs * 100),
    )
    vault.close()
}
