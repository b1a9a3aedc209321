/**
 * src/viewer: the pages the viewer routes get index.html with a strict content security
 * policy; hashed assets are served (gzipped when asked) and nothing else is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { createViewerRoutes, useEmbeddedViewer } from '../../src/viewer/index.ts';

const FILES: Record<string, string> = {
  'index.html': '<!doctype html><title>tracebox</title><script type="module" src="/assets/app-ABC.js"></script>',
  'assets/app-ABC.js': 'console.log("viewer");'.repeat(50),
  'assets/app-ABC.css': 'body{}',
};
useEmbeddedViewer((name) => FILES[name]);
const app = createViewerRoutes();

test('deep links get the page, with a content security policy', async () => {
  for (const path of ['/', '/search?q=%7B%7D', '/trace/0af7651916cd43dd8448eb211c80319c?span=b7ad6b7169203331', '/services', '/compare?a=1&b=2', '/upload']) {
    const res = await app.request(path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal(await res.text(), FILES['index.html']);
  }
  assert.equal((await app.request('/api/search')).status, 404);
  assert.equal((await app.request('/trace/a/b')).status, 404);
});

test('assets: the right type, cached for good, gzipped when asked', async () => {
  const plain = await app.request('/assets/app-ABC.js');
  assert.equal(plain.status, 200);
  assert.match(plain.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.match(plain.headers.get('cache-control') ?? '', /immutable/);
  assert.equal(await plain.text(), FILES['assets/app-ABC.js']);
  const gz = await app.request('/assets/app-ABC.js', { headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(gz.headers.get('content-encoding'), 'gzip');
  assert.equal(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString(), FILES['assets/app-ABC.js']);
  assert.match((await app.request('/assets/app-ABC.css')).headers.get('content-type') ?? '', /^text\/css/);
  for (const bad of ['/assets/missing.js', '/assets/..%2Findex.html', '/assets/app-ABC.exe', '/assets/index.html']) {
    assert.equal((await app.request(bad)).status, 404, bad);
  }
});
