// The library's HTTP requests made with java.net.HttpURLConnection: on Android it is backed by
// the platform's OkHttp and trust store; on the JVM by the JDK's. Apps with their own OkHttp
// client implement HttpTransport over it the same way.
package org.harbor.wallet

import java.io.IOException
import java.io.InputStream
import java.net.HttpURLConnection
import java.net.URL

/** Makes the library's HTTP requests with [HttpURLConnection]; install it with [setHttpTransport]. */
class UrlConnectionTransport(private val userAgent: String = "harbor-android") : HttpTransport {
    override fun send(request: HttpRequest): HttpResponse {
        val connection = try {
            URL(request.url).openConnection() as HttpURLConnection
        } catch (e: Exception) {
            // The reason only: the URL may hold an API key.
            throw HarborException.Network("not a usable URL: ${e.javaClass.simpleName}")
        }
        val timeout = request.timeoutMs.coerceIn(1UL, Int.MAX_VALUE.toULong()).toInt()
        connection.connectTimeout = timeout
        connection.readTimeout = timeout
        connection.setRequestProperty("Accept", "application/json")
        connection.setRequestProperty("User-Agent", userAgent)
        try {
            val body = request.body
            if (body != null) {
                connection.requestMethod = "POST"
                connection.doOutput = true
                connection.setRequestProperty("Content-Type", "application/json")
                connection.outputStream.use { it.write(body.toByteArray(Charsets.UTF_8)) }
            }
            val status = connection.responseCode
            val stream = if (status >= 400) connection.errorStream else connection.inputStream
            val bytes = stream?.use { readAtMost(it, request.maxBytes) } ?: ByteArray(0)
            return HttpResponse(status.toUShort(), bytes)
        } catch (e: IOException) {
            val detail = (e.message ?: "").replace(request.url, "…")
            throw HarborException.Network("no answer: ${e.javaClass.simpleName}: $detail")
        } finally {
            connection.disconnect()
        }
    }

    private fun readAtMost(input: InputStream, limit: ULong): ByteArray {
        val cap = limit.coerceAtMost(Int.MAX_VALUE.toULong() - 1UL).toInt()
        val out = java.io.ByteArrayOutputStream()
        val buffer = ByteArray(16 * 1024)
        while (true) {
            val n = input.read(buffer)
            if (n < 0) break
            if (out.size() + n > cap) throw HarborException.Network("the answer is larger than $cap bytes")
            out.write(buffer, 0, n)
        }
        return out.toByteArray()
    }
}
