// xss_vectors.mjs <render_xss_pages> <xss_vectors.txt> <binary_dir>
// Issue 9: every XSS vector of tests/template/xss_vectors.txt rendered by Bulwark's templates in
// every escaping context, loaded in real Chromium. Fails if any vector runs code (instrumented
// alert/confirm/prompt/print, a dialog, a console 'XSS' marker, window.__xss), if an injected
// event handler fires when its event is dispatched, if a javascript:/vbscript: URL reaches the DOM,
// or if a page lost sections (a vector broke the page structure). Control pages with the raw
// vectors prove each detector fires, so this test can fail.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { artifactsDir, deadline, launch, loopbackOnly, serve } from './lib.mjs';

const [renderer, vectorsFile, binaryDir] = process.argv.slice(2);
if (!renderer || !vectorsFile || !binaryDir) {
  console.error('usage: xss_vectors.mjs <render_xss_pages> <xss_vectors.txt> <binary_dir>');
  process.exit(2);
}
deadline(540000, 'xss_vectors');

const artifacts = artifactsDir(binaryDir, 'xss');
const pagesDir = path.join(binaryDir, 'xss-pages');
const rendered = spawnSync(renderer, [pagesDir, vectorsFile], { encoding: 'utf8' });
if (rendered.status !== 0) {
  console.error(`FAIL: ${renderer} exited ${rendered.status}: ${rendered.stderr}`);
  process.exit(1);
}
const vectorCount = readFileSync(vectorsFile, 'utf8').split('\n').filter((l) => l !== '' && l[0] !== '#').length;
const pages = JSON.parse(readFileSync(path.join(pagesDir, 'index.json'), 'utf8'));
if (vectorCount < 200 || pages.length < 27) {
  console.error(`FAIL: expected >= 200 vectors and >= 27 pages, got ${vectorCount} and ${pages.length}`);
  process.exit(1);
}

// Raw, unescaped vectors: each must be caught, or the detectors are blind.
const controls = {
  'control-script.html': '<script>alert(1)</script>',
  'control-onerror.html': '<img src="/missing.png" onerror="alert(1)">',
  'control-handler.html': '<a onmouseover="prompt(1)">x</a>',
  'control-js-url.html': '<a href=" jav&#x09;ascript:alert(1)">x</a>',
  'control-console.html': '<script>console.log(\'XSS\')</script>',
  'control-marker.html': '<script>window.__xss = 1</script>',
  'control-srcdoc.html': '<iframe srcdoc="<script>confirm(1)</script>"></iframe>',
  'control-structure.html': '<!--',
};
const controlHtml = (body) => `<!doctype html><html><head><meta charset="utf-8"></head><body>` +
  `<section id="case-1">${body}</section><section id="case-2">x</section></body></html>`;

const server = await serve((req, res) => {
  const name = decodeURIComponent(new URL(req.url, 'http://x').pathname.slice(1));
  let body = null;
  // A vector such as "#blocked" in an iframe src names the page itself; frames get a stub so the
  // page does not nest itself 244 times per level.
  if (req.headers['sec-fetch-dest'] === 'iframe') body = '<!doctype html><p>frame</p>';
  else if (pages.includes(name)) body = readFileSync(path.join(pagesDir, name));
  else if (controls[name] !== undefined) body = controlHtml(controls[name]);
  res.writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body ?? 'not found');
});

// Runs before any page script in every frame: the sinks record instead of opening dialogs.
const instrument = () => {
  const hits = [];
  Object.defineProperty(window, '__bulwarkHits', { value: hits });
  const where = () => {
    try {
      const el = document.currentScript || (window.event && window.event.target);
      const s = el && el.closest ? el.closest('section') : null;
      return s ? s.id : (el && el.tagName) || location.href;
    } catch { return '?'; }
  };
  for (const fn of ['alert', 'confirm', 'prompt', 'print']) {
    window[fn] = function (arg) {
      hits.push(`${fn}(${String(arg).slice(0, 40)}) in ${where()}`);
      console.log(`XSS-HIT ${fn}`);
      return fn === 'prompt' ? null : undefined;
    };
  }
};

// After load, in each frame: fire every inline handler, find script URLs, read the markers.
const audit = () => {
  const found = [];
  let fired = 0;
  const sectionOf = (el) => (el.closest('section') || {}).id || el.tagName;
  for (const el of document.querySelectorAll('*')) {
    for (const name of el.getAttributeNames()) {
      const value = el.getAttribute(name);
      if (name.startsWith('on')) {
        el.dispatchEvent(new Event(name.slice(2)));  // a plain Event: no click activation, no navigation
        fired++;
      } else if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'background', 'poster'].includes(name)) {
        let protocol = '';
        try { protocol = new URL(value, document.baseURI).protocol; } catch { protocol = ''; }
        if (protocol === 'javascript:' || protocol === 'vbscript:' ||
            (protocol === 'data:' && !['IMG', 'SOURCE'].includes(el.tagName))) {
          found.push(`${protocol} URL in ${el.tagName}[${name}] in ${sectionOf(el)}`);
        }
      }
    }
  }
  if (typeof window.__xss !== 'undefined') found.push('window.__xss set');
  return { found, fired, sections: document.querySelectorAll('section[id^="case-"]').length,
           last: document.querySelectorAll('section[id^="case-"]').length > 0 };
};

const browser = await launch();
const context = await browser.newContext({ javaScriptEnabled: true, viewport: { width: 1000, height: 800 } });
await context.addInitScript(instrument);
const blocked = await loopbackOnly(context, [server.origin]);

async function check(name, expectedSections) {
  const page = await context.newPage();
  const problems = [];
  page.on('dialog', (d) => { problems.push(`dialog ${d.type()}: ${d.message().slice(0, 40)}`); d.dismiss().catch(() => {}); });
  page.on('console', (m) => { if (m.text().includes('XSS')) problems.push(`console: ${m.text().slice(0, 60)}`); });
  page.on('popup', (p) => { problems.push(`popup ${p.url()}`); p.close().catch(() => {}); });
  const url = `${server.origin}/${name}`;
  let fired = 0;
  let sections = -1;
  try {
    const response = await page.goto(url, { waitUntil: 'load', timeout: 30000 });
    if (!response || response.status() !== 200) problems.push(`status ${response && response.status()}`);
    await page.waitForTimeout(150);  // image error handlers, timers set by a vector
    for (const frame of page.frames()) {
      let r;
      try { r = await frame.evaluate(audit); } catch (e) { continue; }  // a frame that went away
      problems.push(...r.found);
      fired += r.fired;
      if (frame === page.mainFrame()) sections = r.sections;
    }
    await page.waitForTimeout(150);
    for (const frame of page.frames()) {
      try { problems.push(...await frame.evaluate(() => window.__bulwarkHits.slice())); } catch { /* gone */ }
    }
    if (page.url() !== url) problems.push(`page navigated to ${page.url()}`);
    if (sections !== expectedSections) problems.push(`structure: ${sections} of ${expectedSections} sections left`);
    await page.screenshot({ path: path.join(artifacts, name.replace(/\.html$/, '.png')) });
  } catch (e) {
    problems.push(`error: ${e.message.split('\n')[0]}`);
  }
  await page.close();
  return { problems: [...new Set(problems)], fired };
}

let failed = false;
for (const name of Object.keys(controls)) {
  const { problems } = await check(name, 2);
  if (problems.length === 0) {
    console.error(`FAIL: control ${name} went undetected: the harness is blind`);
    failed = true;
  } else {
    console.log(`control ${name}: caught (${problems[0]})`);
  }
}
let handlers = 0;
for (const name of pages) {
  const { problems, fired } = await check(name, vectorCount);
  handlers += fired;
  if (problems.length) {
    failed = true;
    console.error(`FAIL: ${name}: ${problems.length} problem(s)`);
    for (const p of problems.slice(0, 20)) console.error(`  ${p}`);
  } else {
    console.log(`ok ${name}: ${vectorCount} vectors, ${fired} inline handlers fired`);
  }
}
await browser.close();
await server.close();
const external = blocked.filter((u) => !u.startsWith('data:'));
console.log(`${pages.length} pages x ${vectorCount} vectors, ${handlers} handlers fired, ` +
            `${external.length} external requests blocked; screenshots in ${artifacts}`);
if (failed) process.exit(1);
console.log('PASS');
