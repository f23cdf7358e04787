// The sample app's one screen, as its view model: create a wallet, show the account and its
// balance, send with the sponsor paying the gas. Android-free on purpose (an Activity or a
// Compose screen collects `state`), so CI compiles it against the JVM package.
package org.harbor.wallet.sample

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.launch
import org.harbor.wallet.*

/** What the screen shows. */
sealed interface ScreenState {
    /** No wallet yet: offer to create one. */
    object NoWallet : ScreenState

    /** Working (deriving keys, asking the network). */
    data class Busy(val what: String) : ScreenState

    /** The account, its address to receive and its balance on the network. */
    data class Ready(val address: String, val balance: String, val sponsored: Boolean) : ScreenState

    /** A send in progress: its stage in words. */
    data class Sending(val stage: String) : ScreenState

    /** Sent: who paid the gas and where to see it. */
    data class Sent(val paidBy: String, val link: String?) : ScreenState

    /** Something the person should read (never a secret). */
    data class Failed(val reason: String, val canRetry: Boolean) : ScreenState
}

/** The screen's logic over the Harbor SDK. */
class WalletScreen(
    private val vaultPath: String,
    private val network: ChainInfo,
    private val scope: CoroutineScope,
) {
    private val _state = MutableStateFlow<ScreenState>(ScreenState.NoWallet)
    val state: StateFlow<ScreenState> = _state

    private var vault: Vault? = null
    private var wallet: Wallet? = null

    init {
        // Once per process, before the first network call (Application.onCreate in a real app).
        setHttpTransport(UrlConnectionTransport())
    }

    /** Creates the vault and a new 12-word phrase (shown to the person to write down). */
    fun createWallet(password: String, onPhrase: (List<String>) -> Unit) = scope.launch {
        _state.value = ScreenState.Busy("Creating your wallet")
        try {
            val created = createVault(vaultPath, password, false)
            created.saveChain(network)
            val phrase = generateMnemonic(Language.ENGLISH, 12u)
            onPhrase(phrase.wordsToShow())
            created.addNewPhrase("My wallet", phrase, "")
            phrase.close()
            vault = created
            wallet = Wallet(created)
            refresh()
        } catch (e: HarborException) {
            _state.value = ScreenState.Failed(e.sentence(), canRetry = false)
        }
    }

    /** Reads the account and its balance again. */
    fun refresh() = scope.launch {
        val wallet = wallet ?: return@launch
        try {
            val account = wallet.accounts().first()
            val balances = wallet.balances(account.address, emptyList()).first()
            val coin = balances.amounts.firstOrNull()
            _state.value = ScreenState.Ready(
                account.address,
                coin?.let { "${it.formatted} ${it.symbol}" } ?: "–",
                balances.sponsored,
            )
        } catch (e: HarborException) {
            _state.value = ScreenState.Failed(e.sentence(), canRetry = e is HarborException.Network)
        }
    }

    /** Sends `amount` of the network's coin to `to`; the sponsor pays the gas. */
    fun send(to: String, amount: String) = scope.launch {
        val wallet = wallet ?: return@launch
        try {
            val from = wallet.accounts().first().address
            val request = SendRequest(from, network.chainId, to, amount, null)
            wallet.reviewSend(request) // a real screen shows this and waits for "Send"
            val receipt = wallet.send(request, object : SendListener {
                override fun onProgress(stage: SendStage) {
                    // A library thread: StateFlow is safe to set from any thread.
                    _state.value = ScreenState.Sending(stage.words())
                }
            })
            _state.value = ScreenState.Sent(receipt.sponsor ?: "your account", receipt.explorerUrl)
        } catch (e: HarborException.SponsorDeclined) {
            _state.value = ScreenState.Failed("The sponsor declined: ${e.reason}", canRetry = false)
        } catch (e: HarborException) {
            _state.value = ScreenState.Failed(e.sentence(), canRetry = e is HarborException.Network)
        }
    }

    /** Locks the wallet (the app goes to the background). */
    fun lock() {
        vault?.lock()
    }
}

/** A send stage in words for the screen. */
fun SendStage.words(): String = when (this) {
    is SendStage.Preparing -> "Preparing"
    is SendStage.Sponsoring -> "Asking the sponsor"
    is SendStage.Signing -> "Signing"
    is SendStage.Submitted -> "Sent, waiting for the network"
    is SendStage.Included -> "Done"
    is SendStage.Failed -> "Failed"
}

/** The sentence of any Harbor error. */
fun HarborException.sentence(): String = when (this) {
    is HarborException.NoWallet -> reason
    is HarborException.WrongPassword -> reason
    is HarborException.Locked -> reason
    is HarborException.InvalidPhrase -> reason
    is HarborException.InvalidShares -> reason
    is HarborException.InvalidInput -> reason
    is HarborException.NotFound -> reason
    is HarborException.InsufficientFunds -> reason
    is HarborException.Network -> reason
    is HarborException.SponsorDeclined -> reason
    is HarborException.Rejected -> reason
    is HarborException.Recovery -> reason
    is HarborException.SecureStore -> reason
    is HarborException.Storage -> reason
    is HarborException.Internal -> reason
}
