// lib.mjs: what every browser test shares: launching Debian's Chromium through playwright-core,
// a loopback-only HTTP server, and a route guard that aborts every request not to 127.0.0.1 so
// vectors that name external hosts cannot leak traffic.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

export const kChromium = process.env.BULWARK_CHROMIUM || '/usr/bin/chromium';
export const kSkip = 77;  // CTest SKIP_RETURN_CODE

// A missing browser is a skip on a developer machine and a failure where the services are required
// (CI sets BULWARK_REQUIRE_SERVICES=1), so a broken install can never pass as green.
export async function loadPlaywright() {
  if (!existsSync(kChromium)) {
    const required = process.env.BULWARK_REQUIRE_SERVICES === '1';
    console.error(`${kChromium} not found (apt-get install -y chromium)` + (required ? '' : ': skipping'));
    process.exit(required ? 1 : kSkip);
  }
  return import('playwright-core');
}

// launch starts Chromium. `hosts`: the names that resolve (to loopback); every other name is
// "not found". A test that needs a second site on this machine adds 'localhost'.
export async function launch({ hosts = ['127.0.0.1'] } = {}) {
  const { chromium } = await loadPlaywright();
  return chromium.launch({
    executablePath: kChromium,
    headless: true,
    timeout: 30000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--disable-default-apps', '--disable-extensions', '--no-pings', '--dns-prefetch-disable',
           // defence in depth behind the route guard: no name resolves except loopback
           `--host-resolver-rules=MAP * ~NOTFOUND${hosts.map((h) => `, EXCLUDE ${h}`).join('')}`],
  });
}

// Aborts every request whose origin is not one of `allowed` (http://127.0.0.1:port strings);
// returns the list of blocked URLs for the report.
export async function loopbackOnly(context, allowed) {
  const blocked = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    let ok = false;
    try { ok = allowed.includes(new URL(url).origin); } catch { ok = false; }
    if (ok) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  return blocked;
}

// Starts `handler` on 127.0.0.1 with a free port; resolves to { origin, close }.
export function serve(handler) {
  return new Promise((resolve, reject) => {
    const server = http.createServer(handler);
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        origin: `http://127.0.0.1:${port}`,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

export function artifactsDir(binaryDir, name) {
  const dir = path.join(binaryDir, 'browser-artifacts', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

// Kills the whole test if anything hangs, so CTest's TIMEOUT is a backstop, not the mechanism.
export function deadline(ms, what) {
  const t = setTimeout(() => { console.error(`FAIL: ${what} did not finish in ${ms} ms`); process.exit(1); }, ms);
  t.unref();
}

// submitForm fills the fields of the form `formSelector` on `tab`, presses its submit button and
// resolves to the response of the navigation that follows.
export async function submitForm(tab, formSelector, fields) {
  for (const [name, value] of Object.entries(fields)) await tab.fill(`${formSelector} [name="${name}"]`, value);
  const [response] = await Promise.all([
    tab.waitForNavigation({ waitUntil: 'load', timeout: 15000 }),
    tab.click(`${formSelector} button[type="submit"]`),
  ]);
  return response;
}

// startBulwark runs `<binary> serve` (the reference app) on 127.0.0.1 with a free port, a fresh
// instance folder and `env` added to a clean environment; resolves to { origin, log, stop } once it
// listens. log() returns everything it wrote to stderr (the security log's default sink).
export function startBulwark(binary, env = {}) {
  const instance = mkdtempSync(path.join(os.tmpdir(), 'bulwark-browser-'));
  let stderr = '';
  const child = spawn(binary, ['serve'], {
    cwd: instance,  // no stray .env is read
    env: { PATH: process.env.PATH, HOME: instance, BULWARK_HOST: '127.0.0.1', BULWARK_PORT: '0',
           BULWARK_INSTANCE_DIR: instance, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const cleanup = () => { child.kill('SIGKILL'); rmSync(instance, { recursive: true, force: true }); };
  process.on('exit', cleanup);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bulwark serve did not start: ${stderr}`)), 30000);
    child.on('exit', (code) => reject(new Error(`bulwark serve exited with ${code}: ${stderr}`)));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const m = stderr.match(/serving the reference app on (http:\/\/127\.0\.0\.1:\d+)/);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        origin: m[1],
        log: () => stderr,
        // events: the security-log lines (one JSON object each) written so far, parsed.
        events: () => stderr.split('\n').filter((l) => l.startsWith('{')).flatMap((l) => {
          try { return [JSON.parse(l)]; } catch { return []; }
        }),
        stop: () => new Promise((r) => {
          child.removeAllListeners('exit');
          child.once('exit', () => { rmSync(instance, { recursive: true, force: true }); r(); });
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5000).unref();
        }),
      });
    });
  });
}
