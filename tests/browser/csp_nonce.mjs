// csp_nonce.mjs <docs/headers.md> <binary_dir>
// Issue 6: the Content-Security-Policy that Bulwark's headers component sends by default (read from
// the defaults table of docs/headers.md, so the test follows the documented policy) with a fresh
// 128-bit nonce, enforced by real Chromium: the nonce'd inline script runs and may load more script
// ('strict-dynamic'); an injected inline script, a script with a wrong nonce, a same-origin script
// without the nonce and an inline onclick attribute do not; and securitypolicyviolation fires.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { artifactsDir, deadline, launch, loopbackOnly, serve } from './lib.mjs';

const [headersDoc, binaryDir] = process.argv.slice(2);
if (!headersDoc || !binaryDir) {
  console.error('usage: csp_nonce.mjs <docs/headers.md> <binary_dir>');
  process.exit(2);
}
deadline(90000, 'csp_nonce');

const row = readFileSync(headersDoc, 'utf8').split('\n').find((l) => /^\|\s*Content-Security-Policy\s*\|/.test(l));
const documented = row && (row.match(/`([^`]+)`/) || [])[1];
if (!documented || !documented.includes("'nonce-…'")) {
  console.error(`FAIL: no default Content-Security-Policy with 'nonce-…' in the table of ${headersDoc}`);
  process.exit(1);
}
const nonce = randomBytes(16).toString('base64url');  // as headers::make_nonce(): 22 characters
const csp = documented.replaceAll("'nonce-…'", `'nonce-${nonce}'`);
const wrong = randomBytes(16).toString('base64url');

// What a template with an unescaped hole would produce: the injected markup has no nonce.
const injected = '<script>window.__injected = true</script>';
const page = `<!doctype html><html><head><meta charset="utf-8"><title>csp</title>
<script nonce="${nonce}">
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) =>
    window.__violations.push(e.effectiveDirective + ' ' + (e.blockedURI || '')));
  window.__nonced = true;
  const s = document.createElement('script');  // trusted by 'strict-dynamic'
  s.src = '/dynamic.js';
  document.head.appendChild(s);
</script>
</head><body>
<p>${injected}</p>
<script nonce="${wrong}">window.__wrongNonce = true</script>
<script src="/same-origin.js"></script>
<button id="b" onclick="window.__onclick = true">x</button>
<a id="j" href="javascript:window.__jsurl = true">j</a>
</body></html>`;

const served = [];
const server = await serve((req, res) => {
  const url = new URL(req.url, 'http://x').pathname;
  served.push(url);
  const js = { '/dynamic.js': 'window.__dynamic = true;', '/same-origin.js': 'window.__sameOrigin = true;' }[url];
  const headers = {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    'content-type': js ? 'text/javascript' : 'text/html; charset=utf-8',
  };
  if (url === '/control') delete headers['content-security-policy'];  // same page, no policy
  else if (!js && url !== '/') { res.writeHead(404, headers); res.end(); return; }
  res.writeHead(200, headers);
  res.end(js ?? page);
});

const browser = await launch();
const context = await browser.newContext();
const blocked = await loopbackOnly(context, [server.origin]);
// Control: without the policy every injection on the page runs, so the checks below can fail.
const control = await context.newPage();
await control.goto(`${server.origin}/control`, { waitUntil: 'load', timeout: 30000 });
await control.click('#b');
const controlState = await control.evaluate(() =>
  [window.__injected, window.__wrongNonce, window.__sameOrigin, window.__onclick].every((x) => x === true));
await control.close();
const tab = await context.newPage();
const consoleCsp = [];
tab.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) consoleCsp.push(m.text()); });
const response = await tab.goto(`${server.origin}/`, { waitUntil: 'load', timeout: 30000 });
await tab.waitForFunction(() => window.__dynamic === true, null, { timeout: 5000 }).catch(() => {});
await tab.click('#b');
await tab.click('#j');
await tab.waitForTimeout(300);
const state = await tab.evaluate(() => ({
  nonced: window.__nonced === true, dynamic: window.__dynamic === true,
  injected: window.__injected === true, wrongNonce: window.__wrongNonce === true,
  sameOrigin: window.__sameOrigin === true, onclick: window.__onclick === true,
  jsurl: window.__jsurl === true, violations: window.__violations || [],
}));
await tab.screenshot({ path: path.join(artifactsDir(binaryDir, 'csp'), 'csp_nonce.png') });
await browser.close();
await server.close();

const checks = [
  ['control page without the policy runs every injection', controlState],
  ['response carries the documented policy', response.headers()['content-security-policy'] === csp],
  ['nonce is 22 base64url characters', /^[A-Za-z0-9_-]{22}$/.test(nonce)],
  ['nonce\'d inline script ran', state.nonced],
  ['script added by the nonce\'d script ran (strict-dynamic)', state.dynamic],
  ['injected inline script without nonce did not run', !state.injected],
  ['inline script with a wrong nonce did not run', !state.wrongNonce],
  ['same-origin script without nonce did not run (strict-dynamic ignores \'self\')', !state.sameOrigin],
  ['inline onclick did not run', !state.onclick],
  ['javascript: URL did not run', !state.jsurl],
  ['securitypolicyviolation fired for script-src-elem', state.violations.some((v) => v.startsWith('script-src-elem'))],
  ['securitypolicyviolation fired for script-src-attr', state.violations.some((v) => v.startsWith('script-src-attr'))],
  ['no request left loopback', blocked.length === 0],
];
let failed = false;
for (const [what, ok] of checks) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  failed ||= !ok;
}
console.log(`policy: ${csp}`);
console.log(`violations: ${JSON.stringify(state.violations)}; console CSP messages: ${consoleCsp.length}; served: ${served.join(' ')}`);
if (failed) process.exit(1);
console.log('PASS');
