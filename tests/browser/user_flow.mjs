// user_flow.mjs <bulwark binary> <binary_dir>
// Issue 11: a user's whole visit to the real reference app (`bulwark serve`) in Chromium, through
// the app's own pages and forms: register, log in, post a comment carrying XSS payloads (they
// render inert: no dialog, no script runs, no element is made, the text shows as typed), upload a
// PNG and download it back (the same bytes), look at the sessions page, change the password
// (issue 13), log out, log in with the new password, log out. A screenshot of every step is kept
// under <binary_dir>/browser-artifacts/user_flow/. No page of the app may raise a CSP violation:
// securitypolicyviolation events, Chromium's console and the app's /csp-report (its security log)
// are all watched.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { artifactsDir, deadline, launch, loopbackOnly, startBulwark, submitForm } from './lib.mjs';

const [bulwark, binaryDir] = process.argv.slice(2);
if (!bulwark || !binaryDir) {
  console.error('usage: user_flow.mjs <bulwark binary> <binary_dir>');
  process.exit(2);
}
deadline(150000, 'user_flow');
const shots = artifactsDir(binaryDir, 'user_flow');

const username = `uf_${randomBytes(4).toString('hex')}`;
const password = 'correct horse battery staple 42';
const newPassword = 'a brand new passphrase for 2026';
// Each payload would run (or make an element) if the comment were put into the page unescaped.
const xss = `<script>window.__xss = 'script'</script><img src=x onerror="window.__xss = 'img'; alert(1)">` +
  `"><svg onload="alert(2)"></svg>'><iframe srcdoc="<script>parent.__xss = 'iframe'</script>"></iframe>` +
  ` & <b>bold</b> ${randomBytes(3).toString('hex')}`;

const app = await startBulwark(bulwark);
const events = app.events;

const browser = await launch();
const context = await browser.newContext({ acceptDownloads: true });
const blocked = await loopbackOnly(context, [app.origin]);
// Installed by Playwright before any of the page's own scripts, and not subject to the CSP.
await context.addInitScript(() => {
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) =>
    window.__violations.push(`${e.effectiveDirective} ${e.blockedURI || ''} ${e.documentURI}`));
});
const tab = await context.newPage();
const dialogs = [];
tab.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
const consoleCsp = [];
const consoleOther = [];
const pageErrors = [];
tab.on('console', (m) => {
  if (m.type() !== 'error' && m.type() !== 'warning') return;
  (/Content.Security.Policy/i.test(m.text()) ? consoleCsp : consoleOther).push(`${m.type()}: ${m.text()}`);
});
tab.on('pageerror', (e) => pageErrors.push(String(e)));

const violations = [];
const steps = [];  // [name, url, status]
async function collect() {
  violations.push(...await tab.evaluate(() => window.__violations.splice(0)).catch(() => []));
}
async function shot(name) {
  await collect();
  await tab.screenshot({ path: path.join(shots, `${String(steps.length + 1).padStart(2, '0')}_${name}.png`), fullPage: true });
  steps.push(name);
}
async function visit(url) {
  const r = await tab.goto(`${app.origin}${url}`, { waitUntil: 'load', timeout: 15000 });
  return r.status();
}
// submit fills a form of the current page and clicks its button; resolves to the final response
// (after any redirects), as a user's click would.
const submit = (formSelector, fields) => submitForm(tab, formSelector, fields);
const here = () => new URL(tab.url()).pathname;

// 1. register
await visit('/register');
await shot('register_form');
const registered = await submit('form[action="/register"]', { username, email: `${username}@example.com`, password });
const registeredOk = registered.status() === 200 && here() === '/login';
await shot('registered');

// 2. log in
const loggedInResponse = await submit('form[action="/login"]', { username, password });
const loggedIn = loggedInResponse.status() === 200 && here() === '/' && (await tab.content()).includes(username);
await shot('logged_in');

// 3. a comment carrying XSS payloads
await visit('/comments');
await submit('form[action="/comment"]', { comment: xss });
await tab.waitForTimeout(300);  // would-be handlers (onerror, onload) get their chance
const rendered = await tab.evaluate((payload) => {
  const articles = [...document.querySelectorAll('article.comment')];
  const mine = articles.find((a) => a.textContent.includes(payload));
  return {
    onPage: mine !== undefined,
    elements: mine ? mine.querySelectorAll('script, img, svg, iframe, b').length : -1,
    xss: window.__xss,
  };
}, xss);
const commentInert = here() === '/comments' && rendered.onPage && rendered.elements === 0 &&
  rendered.xss === undefined && dialogs.length === 0;
await shot('comment_with_xss');

// 4. upload a PNG through the app's upload endpoint, as a page script of the app would
const png = await tab.screenshot();  // some real PNG bytes
const token = await tab.inputValue('form[action="/comment"] [name="csrf_token"]');
const uploaded = await tab.evaluate(async ({ bytes, token }) => {
  const form = new FormData();
  form.append('csrf_token', token);  // before the file: the CSRF check reads it first
  form.append('file', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), 'flow shot.png');
  const r = await fetch('/upload', { method: 'POST', body: form });
  return { status: r.status, body: await r.json().catch(() => null) };
}, { bytes: [...png], token });
const uploadOk = uploaded.status === 201 && uploaded.body?.size === png.length &&
  uploaded.body?.content_type?.startsWith('image/png');
await shot('uploaded');

// 5. download it back
let downloadedSame = false;
let downloadName = '';
if (uploadOk) {
  const [download] = await Promise.all([
    tab.waitForEvent('download', { timeout: 15000 }),
    tab.goto(`${app.origin}/uploads/${uploaded.body.id}`).catch(() => {}),  // an attachment: no page
  ]);
  downloadName = download.suggestedFilename();
  const bytes = readFileSync(await download.path());
  downloadedSame = Buffer.compare(bytes, png) === 0;
}
await visit('/');
await shot('downloaded');

// 6. the sessions page (issue 13)
const sessionsStatus = await visit('/account/sessions');
const sessionsOk = sessionsStatus === 200 && (await tab.locator('tr.current').count()) === 1 &&
  (await tab.locator('form[action$="/revoke"]').count()) === 1;
await shot('sessions');

// 7. change the password (the login is fresh: no re-authentication asked)
const passwordStatus = await visit('/account/password');
const weak = await submit('form[action="/account/password"]', { current_password: password, new_password: 'password1234' });
const weakRefused = weak.status() === 400 && here() === '/account/password';
await shot('password_weak_refused');
await visit('/account/password');
const changed = await submit('form[action="/account/password"]', { current_password: password, new_password: newPassword });
const passwordOk = passwordStatus === 200 && weakRefused && changed.status() === 200 && here() === '/' &&
  (await tab.content()).includes(username);
await shot('password_changed');

// 8. log out, log in with the new password, log out
const loggedOut1 = await submit('form[action="/logout"]', {});
const logoutOk = loggedOut1.status() === 200 && !(await tab.content()).includes(`Signed in as ${username}`);
await shot('logged_out');
await visit('/login');
const oldRefused = (await submit('form[action="/login"]', { username, password })).status() === 401;
await shot('old_password_refused');
const again = await submit('form[action="/login"]', { username, password: newPassword });
const againOk = again.status() === 200 && (await tab.content()).includes(username);
await shot('logged_in_with_new_password');
const loggedOut2 = await submit('form[action="/logout"]', {});
const finalOut = loggedOut2.status() === 200 && (await visit('/account/sessions')) === 200 && here() === '/login';
await shot('logged_out_again');

await collect();
await browser.close();
await new Promise((r) => setTimeout(r, 300));  // a late report would still reach the log
const reports = events().filter((e) => e.fields?.kind === 'csp_violation');
const passwordEvent = events().some((e) => e.event === 'authn_password_change' && e.user === username);
await app.stop();

const checks = [
  ['registered through the form (303 to /login)', registeredOk],
  ['logged in through the form', loggedIn],
  ['the XSS comment is shown as text, made no element, ran nothing, opened no dialog', commentInert],
  ['uploaded a PNG (201, its size and type)', uploadOk],
  ['downloaded it back with the same bytes', downloadedSame],
  ['sessions page lists this session, marked current', sessionsOk],
  ['password change: weak password refused (400), then changed (303 to /)', passwordOk],
  ['password change in the security log', passwordEvent],
  ['logged out', logoutOk],
  ['the old password no longer logs in (401)', oldRefused],
  ['the new password logs in', againOk],
  ['logged out again: /account/sessions asks for a login', finalOut],
  ['no securitypolicyviolation on any page of the app', violations.length === 0],
  ['no CSP message in the console', consoleCsp.length === 0],
  ['no script error on any page', pageErrors.length === 0],
  ['nothing reached /csp-report', reports.length === 0],
  ['no request left loopback', blocked.length === 0],
];
let failed = false;
for (const [what, ok] of checks) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  failed ||= !ok;
}
console.log(`steps: ${steps.join(' ')}`);
console.log(`comment: ${JSON.stringify(rendered)}; dialogs: ${JSON.stringify(dialogs)}`);
console.log(`upload: ${JSON.stringify(uploaded)}; download: ${downloadName}`);
if (violations.length) console.log(`violations: ${violations.join(' | ')}`);
if (consoleCsp.length) console.log(`console CSP: ${consoleCsp.join(' | ')}`);
if (consoleOther.length) console.log(`other console messages: ${consoleOther.join(' | ')}`);
if (pageErrors.length) console.log(`page errors: ${pageErrors.join(' | ')}`);
if (reports.length) console.log(`csp reports: ${JSON.stringify(reports)}`);
if (blocked.length) console.log(`blocked: ${blocked.join(' ')}`);
console.log(`screenshots: ${shots}`);
if (failed) process.exit(1);
console.log('PASS');
