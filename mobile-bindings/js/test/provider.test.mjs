// The WebView provider without a browser: a minimal window, a fake native bridge that answers
// as the app does (engine answers over `__resolve`, events over `__emit`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

const source = readFileSync(new URL('../harbor-provider.js', import.meta.url), 'utf8');

function page({ ethereum, answer } = {}) {
  const target = new EventTarget();
  const window = {
    addEventListener: target.addEventListener.bind(target),
    dispatchEvent: target.dispatchEvent.bind(target),
    CustomEvent,
    crypto: globalThis.crypto,
    posted: [],
  };
  if (ethereum) window.ethereum = ethereum;
  window.HarborBridge = {
    postMessage(text) {
      const message = JSON.parse(text);
      window.posted.push(message);
      if (answer) queueMicrotask(() => window.harbor.__resolve(message.id, JSON.stringify(answer(message))));
    },
  };
  window.window = window;
  const announced = [];
  target.addEventListener('eip6963:announceProvider', (e) => announced.push(e.detail));
  vm.runInNewContext(source, { window, setTimeout, queueMicrotask, Uint8Array, JSON, Promise, Map, Set, Object, Error, Array });
  return { window, announced };
}

test('announces itself through EIP-6963, at load and on request', () => {
  const { window, announced } = page();
  assert.equal(announced.length, 1);
  const { info, provider } = announced[0];
  assert.equal(info.name, 'Harbor');
  assert.equal(info.rdns, 'app.harbor.wallet');
  assert.match(info.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(info.icon, /^data:image\/svg\+xml;base64,/);
  assert.ok(Object.isFrozen(announced[0]));
  window.dispatchEvent(new CustomEvent('eip6963:requestProvider'));
  assert.equal(announced.length, 2);
  assert.equal(announced[1].provider, provider);
  assert.equal(window.ethereum, provider);
});

test('leaves another wallet in window.ethereum', () => {
  const other = { isOther: true };
  const { window, announced } = page({ ethereum: other });
  assert.equal(window.ethereum, other);
  assert.equal(announced.length, 1);
});

test('requests go to the app and come back as results or EIP-1193 errors', async () => {
  const { window } = page({
    answer: (m) =>
      m.method === 'eth_chainId'
        ? { result: '0x7a69' }
        : { error: { code: 4001, message: 'the request was declined in Harbor' } },
  });
  const provider = window.harbor.provider;
  assert.equal(await provider.request({ method: 'eth_chainId' }), '0x7a69');
  assert.deepEqual(window.posted[0], { id: 1, method: 'eth_chainId', params: [] });
  await assert.rejects(provider.request({ method: 'personal_sign', params: ['0x00', '0x0'] }), (e) => {
    assert.equal(e.code, 4001);
    assert.match(e.message, /declined/);
    return true;
  });
  await assert.rejects(provider.request('eth_chainId'), (e) => e.code === -32600);
});

test('events reach the page', () => {
  const { window } = page();
  const seen = [];
  const provider = window.harbor.provider;
  const onAccounts = (a) => seen.push(['accountsChanged', a]);
  provider.on('accountsChanged', onAccounts);
  provider.on('disconnect', (e) => seen.push(['disconnect', e.code]));
  window.harbor.__emit('accountsChanged', '["0x1111111111111111111111111111111111111111"]');
  window.harbor.__emit('disconnect', '{"code":4900,"message":"Harbor is locked"}');
  provider.removeListener('accountsChanged', onAccounts);
  window.harbor.__emit('accountsChanged', '[]');
  assert.deepEqual(seen, [
    ['accountsChanged', ['0x1111111111111111111111111111111111111111']],
    ['disconnect', 4900],
  ]);
});

test('without a bridge, requests fail with 4900', async () => {
  const { window } = page();
  delete window.HarborBridge;
  await assert.rejects(window.harbor.provider.request({ method: 'eth_chainId' }), (e) => e.code === 4900);
});
