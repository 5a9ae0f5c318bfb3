// reset_flow.mjs <bulwark binary> <binary_dir>
// Issue 13's forgotten-password flow in Chromium against the real reference app (`bulwark
// serve`), with its mail going over real SMTP to tests/support/smtp_sink.py (python3-aiosmtpd) on
// loopback: register, follow "Forgot your password?", ask for a link, read the mail from the
// sink, follow the link it holds, set a new password, log in with it. Also: the old password
// no longer works, the link does not work twice, the link page sends no Referer, and a
// notification mail arrives.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { artifactsDir, deadline, kSkip, launch, loopbackOnly, startBulwark, submitForm } from './lib.mjs';

const [bulwark, binaryDir] = process.argv.slice(2);
if (!bulwark || !binaryDir) {
  console.error('usage: reset_flow.mjs <bulwark binary> <binary_dir>');
  process.exit(2);
}
deadline(150000, 'reset_flow');
const shots = artifactsDir(binaryDir, 'reset_flow');
const here = path.dirname(fileURLToPath(import.meta.url));
const python = '/usr/bin/python3';

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.on('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const canConnect = (port) => new Promise((resolve) => {
  const c = net.connect(port, '127.0.0.1');
  c.once('connect', () => { c.destroy(); resolve(true); });
  c.once('error', () => resolve(false));
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- the SMTP sink ------------------------------------------------------------------------
const probe = spawn(python, ['-c', 'import aiosmtpd'], { stdio: 'ignore' });
const haveSink = await new Promise((r) => probe.on('exit', (code) => r(code === 0)));
if (!haveSink) {
  const required = process.env.BULWARK_REQUIRE_SERVICES === '1';
  console.error('python3-aiosmtpd is not installed' + (required ? '' : ': skipping'));
  process.exit(required ? 1 : kSkip);
}
const mailDir = mkdtempSync(path.join(os.tmpdir(), 'bulwark-sink-'));
const smtpPort = await freePort();
const sink = spawn(python, [path.join(here, '..', 'support', 'smtp_sink.py'), '--port', String(smtpPort), '--dir', mailDir],
  { stdio: 'ignore' });
process.on('exit', () => { sink.kill('SIGTERM'); rmSync(mailDir, { recursive: true, force: true }); });
for (let i = 0; i < 200 && !(await canConnect(smtpPort)); ++i) await sleep(50);

const mails = () => readdirSync(mailDir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => JSON.parse(readFileSync(path.join(mailDir, f), 'utf8')));
async function waitForMail(to, subject) {
  for (let i = 0; i < 300; ++i) {
    const m = mails().find((x) => x.to.includes(to) && x.subject.includes(subject));
    if (m) return m;
    await sleep(50);
  }
  return undefined;
}

// --- the app: links in mail point at the port it listens on ---------------------------------
const appPort = await freePort();
const app = await startBulwark(bulwark, {
  BULWARK_PORT: String(appPort),
  PUBLIC_URL: `http://127.0.0.1:${appPort}`,
  SMTP_URL: `smtp://127.0.0.1:${smtpPort}?starttls=off`,
});

const username = `rf_${randomBytes(4).toString('hex')}`;
const email = `${username}@example.com`;
const oldPassword = 'correct horse battery staple 42';
const newPassword = `reset ${randomBytes(6).toString('hex')} lantern orchard`;

const browser = await launch();
const context = await browser.newContext();
const blocked = await loopbackOnly(context, [app.origin]);
const tab = await context.newPage();
const referers = [];
tab.on('request', (r) => { const ref = r.headers().referer; if (ref) referers.push(ref); });

const submit = (formSelector, fields) => submitForm(tab, formSelector, fields);

await tab.goto(`${app.origin}/register`, { waitUntil: 'load' });
await submit('form[action="/register"]', { username, email, password: oldPassword });
await tab.screenshot({ path: path.join(shots, '1_registered.png') });

// "Forgot your password?" from the login page.
await Promise.all([tab.waitForNavigation({ waitUntil: 'load' }), tab.click('a[href="/forgot-password"]')]);
const onForgot = new URL(tab.url()).pathname === '/forgot-password';
const asked = await submit('form[action="/forgot-password"]', { email });
const sentShown = await tab.isVisible('#sent');
await tab.screenshot({ path: path.join(shots, '2_link_requested.png') });

const resetMail = await waitForMail(email, 'Reset your password');
const link = resetMail?.body.match(/https?:\/\/\S+\/reset-password\/[A-Za-z0-9_-]{43}/)?.[0];

// Follow the link as a user would, set the new password.
const form = link ? await tab.goto(link, { waitUntil: 'load' }) : undefined;
await tab.screenshot({ path: path.join(shots, '3_reset_form.png') });
const referrerPolicy = form?.headers()['referrer-policy'];
const set = link ? await submit('form[action^="/reset-password/"]', { password: newPassword }) : undefined;
const landedOnLogin = new URL(tab.url()).pathname === '/login';
await tab.screenshot({ path: path.join(shots, '4_password_set.png') });

// The old password is refused, the new one logs in.
await submit('form[action="/login"]', { username, password: oldPassword });
const oldRefused = !(await tab.content()).includes(`Signed in as ${username}`);
await tab.goto(`${app.origin}/login`, { waitUntil: 'load' });
await submit('form[action="/login"]', { username, password: newPassword });
const loggedIn = (await tab.content()).includes(`Signed in as ${username}`);
await tab.screenshot({ path: path.join(shots, '5_logged_in.png') });

const again = link ? await tab.goto(link, { waitUntil: 'load' }) : undefined;
const notified = await waitForMail(email, 'Your password was changed');
await browser.close();
await app.stop();

const checks = [
  ['the login page links to /forgot-password', onForgot],
  ['POST /forgot-password answers 200 with the "sent" notice', asked?.status() === 200 && sentShown],
  ['the reset mail reached the SMTP sink with a link', Boolean(link)],
  ['the link opens the reset form (200, Referrer-Policy: no-referrer)', form?.status() === 200 && referrerPolicy === 'no-referrer'],
  ['setting the password lands on /login', Boolean(set) && landedOnLogin],
  ['the old password no longer logs in', oldRefused],
  ['the new password logs in', loggedIn],
  ['the link does not work twice (400)', again?.status() === 400],
  ['a notification mail arrived', Boolean(notified)],
  ['no request carried the token off in a Referer', !referers.some((r) => r.includes('/reset-password/'))],
  ['no request left loopback', blocked.length === 0],
];
let failed = false;
for (const [what, ok] of checks) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  failed ||= !ok;
}
if (failed) {
  console.log(`mails: ${JSON.stringify(mails().map((m) => ({ to: m.to, subject: m.subject })))}`);
  console.log(app.log().split('\n').slice(-40).join('\n'));
  process.exit(1);
}
console.log('PASS');
process.exit(0);  // the exit handler stops the sink, whose child process would keep node alive
