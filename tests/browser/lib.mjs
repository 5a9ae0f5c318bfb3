// lib.mjs: what every browser test shares: launching Debian's Chromium through playwright-core,
// a loopback-only HTTP server, and a route guard that aborts every request not to 127.0.0.1 so
// vectors that name external hosts cannot leak traffic.
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
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

export async function launch() {
  const { chromium } = await loadPlaywright();
  return chromium.launch({
    executablePath: kChromium,
    headless: true,
    timeout: 30000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--disable-default-apps', '--disable-extensions', '--no-pings', '--dns-prefetch-disable',
           // defence in depth behind the route guard: no name resolves except loopback
           '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
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
