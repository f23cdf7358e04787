// Harbor's EIP-1193 provider for an app's WebView. Inject it before the page's scripts run
// (WKUserScript at document start on iOS, `evaluateJavascript` on page start or a
// WebViewCompat document-start script on Android). It announces itself through EIP-6963 and
// takes `window.ethereum` only when no other wallet has.
//
// Page -> app: each request is posted as JSON `{id, method, params}` to the native bridge
// (`window.webkit.messageHandlers.harbor` on iOS, `window.HarborBridge` on Android). The app
// takes the page's origin from the WebView itself (never from the message), passes the request
// to `DappEngine.request`, and answers with `window.harbor.__resolve(id, answerJson)`, where
// answerJson is `{"result": …}` or `{"error": {"code": …, "message": …}}`.
// App -> page: events from `DappEngine.takeEvents` for this origin are delivered with
// `window.harbor.__emit(name, dataJson)`.
(function installHarbor(window) {
  'use strict';
  if (window.harbor && window.harbor.isHarbor) return;

  const ICON =
    'data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCA5NiA5NiI+PHJlY3Qgd2lkdGg9Ijk2IiBoZWlnaHQ9Ijk2IiByeD0iMjAiIGZpbGw9IiMwYjNkNWMiLz48cGF0aCBkPSJNMjQgNjBoNDhsLTggMTJIMzJ6TTQ2IDIwaDR2MzZoLTR6TTUwIDI0bDE2IDE2SDUweiIgZmlsbD0iI2ZmZiIvPjwvc3ZnPg==';

  function bridge() {
    if (window.webkit && window.webkit.messageHandlers && window.webkit.messageHandlers.harbor) {
      return (text) => window.webkit.messageHandlers.harbor.postMessage(text);
    }
    if (window.HarborBridge && typeof window.HarborBridge.postMessage === 'function') {
      return (text) => window.HarborBridge.postMessage(text);
    }
    return null;
  }

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    const b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  class ProviderRpcError extends Error {
    constructor(code, message, data) {
      super(message);
      this.code = code;
      if (data !== undefined) this.data = data;
    }
  }

  const waiting = new Map();
  const listeners = new Map();
  let nextId = 0;

  const provider = {
    isHarbor: true,
    request(args) {
      if (!args || typeof args !== 'object' || typeof args.method !== 'string') {
        return Promise.reject(new ProviderRpcError(-32600, 'request expects {method, params}'));
      }
      const post = bridge();
      if (!post) {
        return Promise.reject(new ProviderRpcError(4900, 'Harbor is not available in this view'));
      }
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        try {
          post(JSON.stringify({ id, method: args.method, params: args.params === undefined ? [] : args.params }));
        } catch (e) {
          waiting.delete(id);
          reject(new ProviderRpcError(4900, `Harbor could not be reached: ${e && e.message}`));
        }
      });
    },
    on(event, listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(listener);
      return provider;
    },
    removeListener(event, listener) {
      const set = listeners.get(event);
      if (set) set.delete(listener);
      return provider;
    },
  };

  function emit(event, data) {
    for (const listener of listeners.get(event) || []) {
      try {
        listener(data);
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
    }
  }

  const info = Object.freeze({ uuid: uuid(), name: 'Harbor', icon: ICON, rdns: 'app.harbor.wallet' });
  const announce = () =>
    window.dispatchEvent(
      new window.CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }),
    );

  Object.defineProperty(window, 'harbor', {
    value: Object.freeze({
      isHarbor: true,
      provider,
      __resolve(id, answerJson) {
        const entry = waiting.get(id);
        if (!entry) return;
        waiting.delete(id);
        let answer;
        try {
          answer = typeof answerJson === 'string' ? JSON.parse(answerJson) : answerJson;
        } catch (e) {
          entry.reject(new ProviderRpcError(-32603, 'Harbor sent an answer that is not JSON'));
          return;
        }
        if (answer && answer.error) {
          entry.reject(new ProviderRpcError(answer.error.code, answer.error.message, answer.error.data));
        } else {
          entry.resolve(answer ? answer.result : null);
        }
      },
      __emit(name, dataJson) {
        let data = dataJson;
        try {
          data = typeof dataJson === 'string' ? JSON.parse(dataJson) : dataJson;
        } catch (e) {
          return;
        }
        if (name === 'disconnect') {
          emit(name, new ProviderRpcError(data.code || 4900, data.message || 'disconnected'));
        } else {
          emit(name, data);
        }
      },
    }),
    configurable: false,
    enumerable: false,
    writable: false,
  });

  if (window.ethereum === undefined) {
    try {
      Object.defineProperty(window, 'ethereum', { value: provider, configurable: true, writable: false });
    } catch (e) {
      /* another wallet took it first */
    }
  }
  window.addEventListener('eip6963:requestProvider', announce);
  announce();
})(window);
