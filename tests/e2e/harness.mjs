// Harness of the e2e suite: starts the real server (target/debug/oipd serve --demo) on a free
// loopback port, launches Debian's Chromium through playwright-core with a fresh profile, mints
// HS256 tokens with node's crypto, collects page errors and saves screenshots of each step.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '..', '..');
export const BINARY = process.env.OIPD_BIN || path.join(REPO, 'target', 'debug', 'oipd');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const OWNER_KEY = '02b81f1bdcaca064383979b911f8cdbae80bb6167d2e96c25a07c071429187cb15';
export const SECRET = `e2e-${crypto.randomBytes(12).toString('hex')}`;

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** An HS256 JWT with the node's claims: publicKey, email, exp and iat in seconds. */
export function mintToken({ publicKey = OWNER_KEY, email = 'demo@oipd.local', secret = SECRET, ttl = 3600 } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const claims = b64url(JSON.stringify({ publicKey, email, exp: now + ttl, iat: now }));
  const sig = crypto.createHmac('sha256', secret).update(`${header}.${claims}`).digest('base64url');
  return `${header}.${claims}.${sig}`;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts `oipd serve --demo`; resolves to {base, stop()} once `GET /api/health` answers. */
export async function startServer() {
  if (!fs.existsSync(BINARY)) {
    throw new Error(`${BINARY} is missing: build the server first (cargo build, or cargo test, in ${REPO})`);
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(BINARY, ['serve', '--demo', '--bind', `127.0.0.1:${port}`, '--jwt-secret', SECRET], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const killNow = () => { if (!exited) child.kill('SIGKILL'); };
  process.on('exit', killNow);

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`oipd exited during start-up (${JSON.stringify(exited)}):\n${output}`);
    try {
      const res = await fetch(`${base}/api/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      killNow();
      throw new Error(`oipd did not answer /api/health within 30 s:\n${output}`);
    }
    await sleep(100);
  }

  async function stop() {
    process.off('exit', killNow);
    if (exited) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(timer);
  }
  return { base, stop, output: () => output };
}

/** Launches headless Chromium with a fresh temporary profile; resolves to {context, close()}. */
export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (see .ci/e2e)`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'oipd-e2e-profile-'));
  // launchPersistentContext passes the profile as --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  context.setDefaultTimeout(15_000);
  async function close() {
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
  return { context, close };
}

export const SHOTS = fs.mkdtempSync(path.join(os.tmpdir(), 'oipd-e2e-shots-'));

/**
 * Opens a fresh page that records page errors, console errors and requests leaving the server.
 * `allowConsole` lists regexps of console errors a test expects (tested against text + URL).
 */
export async function openPage(context, base, name, { allowConsole = [] } = {}) {
  const page = await context.newPage();
  const problems = [];
  const foreign = [];
  const requests = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const where = m.location() && m.location().url ? m.location().url : '';
    const text = `${m.text()} @ ${where}`;
    // The memory panel probes GET /api/health/memory, which may answer 404 on this server.
    if (/status of 404/.test(text) && /\/api\/health\/memory$/.test(where)) return;
    if (allowConsole.some((re) => re.test(text))) return;
    problems.push(`console error: ${text}`);
  });
  page.on('request', (r) => {
    const u = r.url();
    requests.push(u);
    if (!u.startsWith(base) && !u.startsWith('data:') && !u.startsWith('about:')) foreign.push(u);
  });
  let step = 0;
  const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  return {
    page,
    requests,
    async shot(label) {
      step += 1;
      const file = path.join(SHOTS, `${slug}-${String(step).padStart(2, '0')}-${label.replace(/[^a-z0-9]+/gi, '-')}.png`);
      await page.screenshot({ path: file, fullPage: false });
      return file;
    },
    /** Asserts no page errors, console errors or requests to other hosts, then closes the page. */
    async finish(assert) {
      await page.close();
      assert.deepStrictEqual(problems, [], 'page errors or console errors');
      assert.deepStrictEqual(foreign, [], 'requests to other hosts');
    },
  };
}

/** GET a JSON API document directly (not through the page), optionally with a token. */
export async function apiGet(base, pathAndQuery, token) {
  const res = await fetch(`${base}${pathAndQuery}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const body = await res.json();
  if (!res.ok) throw new Error(`${pathAndQuery} → ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export const names = (env) => env.records.map((r) => (r.data && r.data.basic && r.data.basic.name) || `(unnamed ${r.oip.recordType})`);

/**
 * True for a request of the record list. The token check (one record at `resolveDepth=0`) and
 * lookups by DID are not the list.
 */
export const isList = (u) => /\/api\/records\?/.test(u) && !/[?&](did|resolveDepth)=/.test(u);

/** Runs `action` and waits for the list request it causes and for the cards to be drawn. */
export async function listLoad(page, action) {
  const response = page.waitForResponse((r) => isList(r.url()));
  await action();
  const res = await response;
  await page.waitForSelector('#results:not([aria-busy])', { state: 'attached' });
  return new URL(res.url());
}

/** The titles of the cards on the page. */
export const cardNames = (page) => page.$$eval('#results .card-title', (els) => els.map((e) => e.textContent));

/** The number of matches the page shows (`#summary`'s data-total). */
export const total = async (page) => Number(await page.getAttribute('#summary', 'data-total'));
