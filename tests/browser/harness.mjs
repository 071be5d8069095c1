// Starts a real CertHall (the debug binary, a fresh data directory, a free port on
// 127.0.0.1) and Debian's Chromium under Playwright, and cleans both up.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const targetDir = process.env.CARGO_TARGET_DIR || join(repo, 'target');
export const binary = process.env.CERTHALL_BIN || join(targetDir, 'debug', 'certhall');
/// The producer's workstation tool, built beside the server.
export const keyBinary = join(dirname(binary), 'certhall-key');
// Screenshots go under the checkout's target/ so they can be looked at after a run.
export const shots = join(repo, 'target', 'screenshots');

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
    server.on('error', fail);
  });
}

export async function startCertHall(extraArgs = []) {
  const dataDir = mkdtempSync(join(tmpdir(), 'certhall-browser-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let log = '';
  // Starts `serve` on the port and data directory and waits until it answers.
  async function launch() {
    const started = spawn(binary, ['--data-dir', dataDir, '--public-url', base, ...extraArgs, 'serve', '--listen', `127.0.0.1:${port}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, RUST_LOG: 'warn' },
    });
    started.stderr.on('data', (chunk) => { log += chunk; });
    for (let i = 0; i < 300; i++) {
      if (started.exitCode !== null) throw new Error(`certhall exited: ${log}`);
      try {
        const response = await fetch(`${base}/healthz`);
        if (response.ok) break;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    return started;
  }
  const exited = (process) => new Promise((r) => (process.exitCode !== null || process.signalCode !== null ? r() : process.on('exit', r)));
  let child = await launch();
  return {
    base,
    dataDir,
    log: () => log,
    /// `kill -9`: no shutdown of any kind; the data directory stays.
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    /// Starts again on the same port and data directory (after `kill`).
    async restart() {
      child = await launch();
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/// The SMS messages of `template` sent to `phone` (read from data/outbox/sms.jsonl, the
/// file provider's fixed format), once there are more than `notBefore`, waiting for the
/// outbox worker to deliver them.
export async function smsMessages(dataDir, phone, template, notBefore = 0) {
  const file = join(dataDir, 'outbox', 'sms.jsonl');
  for (let i = 0; i < 150; i++) {
    if (existsSync(file)) {
      const lines = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const mine = lines.filter((m) => m.to === phone && m.template === template);
      if (mine.length > notBefore) return mine;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${template} message for ${phone} in ${file}`);
}

/// The newest SMS code sent to `phone` for `purpose`.
export async function smsCode(dataDir, phone, purpose, notBefore = 0) {
  const mine = await smsMessages(dataDir, phone, `verification_code.${purpose}`, notBefore);
  const code = mine[mine.length - 1].text.match(/\d{6}/);
  if (!code) throw new Error(`no code in ${mine[mine.length - 1].text}`);
  return { code: code[0], count: mine.length };
}

// axe-core, the accessibility engine browsers' own audits use, read from node_modules.
const axeSource = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'node_modules/axe-core/axe.min.js'), 'utf8');

/// The page's accessibility problems by the WCAG 2.1 A and AA rules (labels, names,
/// contrast, landmarks, language…), as "rule: what (where)" lines; empty when there are none.
/// axe is evaluated through the DevTools protocol, so the page's CSP needs no exception.
export async function accessibilityProblems(page) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id, help: v.help, impact: v.impact,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + (n.failureSummary ? ` — ${n.failureSummary.replace(/\s+/g, ' ')}` : '')),
    }));
  });
  return violations.map((v) => `${v.id} [${v.impact}]: ${v.help} (${v.targets.join('; ')})`);
}

/// A console page of `server` logged in as `username`, in a fresh zh-CN context of
/// `browser`, on the dashboard.
export async function consoleLogin(browser, server, username, password) {
  const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  await page.goto(server.base + '/console/login');
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/console$/);
  return page;
}

/// The administrator's console page of `server` (the initial administrator's password).
export async function adminLogin(browser, server) {
  const password = readFileSync(join(server.dataDir, 'initial-admin-password'), 'utf8').trim();
  return consoleLogin(browser, server, 'admin', password);
}

/// Adds operator `username` with `role` on the administrator's page `admin`; its password.
export async function addOperator(admin, server, username, displayName, role) {
  await admin.goto(server.base + '/console/operators');
  await admin.locator('#username').fill(username);
  await admin.locator('#display_name').fill(displayName);
  await admin.locator(`form[action="/console/operators"] input[value=${role}]`).check();
  await admin.getByRole('button', { name: '新增操作员' }).click();
  return admin.locator('[data-testid=new-password] code').innerText();
}

let shotNumber = 0;
// Each test file runs in its own process: its name keeps the files' screenshots apart.
const shotPrefix = (process.argv[1] || '').split('/').pop().replace(/\.test\.mjs$/, '');
/// A full-page screenshot under target/screenshots/, numbered in the order taken, of a page
/// that must also pass the accessibility rules: a test fails naming each problem.
export async function shoot(page, name) {
  mkdirSync(shots, { recursive: true });
  shotNumber += 1;
  const path = join(shots, `${shotPrefix}-${String(shotNumber).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  const problems = await accessibilityProblems(page);
  if (problems.length > 0) {
    throw new Error(`${name} (${page.url()}) is not accessible:\n  ${problems.join('\n  ')}`);
  }
  return path;
}

/// Starts `certhall paysim` (the payment simulator) on a free port of 127.0.0.1; its
/// gateway and key files, the flags that point `serve` at it, and a stop.
export async function startPaysim() {
  const dir = mkdtempSync(join(tmpdir(), 'certhall-paysim-'));
  const child = spawn(binary, ['paysim', '--dir', dir, '--time-scale', '600'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk) => { err += chunk; });
  const line = await new Promise((ok, fail) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) ok(out.split('\n')[0]);
    });
    child.on('exit', () => fail(new Error(`paysim exited: ${err}`)));
  });
  const sim = JSON.parse(line);
  return {
    ...sim,
    serveArgs: [
      '--alipay-gateway', sim.alipay_gateway,
      '--alipay-app-id', sim.alipay_app_id,
      '--alipay-private-key-file', sim.alipay_private_key_file,
      '--alipay-public-key-file', sim.alipay_public_key_file,
      '--wechat-base-url', sim.wechat_base_url,
      '--wechat-mchid', sim.wechat_mchid,
      '--wechat-appid', sim.wechat_appid,
      '--wechat-merchant-serial', sim.wechat_merchant_serial,
      '--wechat-private-key-file', sim.wechat_private_key_file,
      '--wechat-public-key-file', sim.wechat_public_key_file,
      '--wechat-public-key-id', sim.wechat_public_key_id,
      '--wechat-apiv3-key-file', sim.wechat_apiv3_key_file,
    ],
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/// Debian's SoftHSM2 module: the USB key of the tests.
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

/// A blank USB key as its vendor ships it: a SoftHSM2 configuration of its own with one
/// token initialised with the transport PINs. Its configuration file (for SOFTHSM2_CONF),
/// the transport SO PIN, and vendor, model and serial as `certhall-key keys` reads them.
export function blankKey() {
  const dir = mkdtempSync(join(tmpdir(), 'certhall-key-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\n`);
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  const transportSoPin = '12345678';
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'BLANK', '--so-pin', transportSoPin, '--pin', '87654321'], { env });
  const listed = execFileSync(keyBinary, ['keys', '--module', SOFTHSM_MODULE], { env, encoding: 'utf8' });
  const [vendor, model, serial] = listed.trim().split('\n')[0].split('\t');
  return { dir, conf, env, transportSoPin, vendor, model, serial, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/// On `producer`'s console page, receives blank `key` into stock; then `certhall-key
/// produce` puts application `applicationId`'s certificate on it as operator `user` with
/// `password` (files of the key's directory); its output.
export async function receiveAndProduce(producer, server, key, user, password, applicationId) {
  await producer.goto(server.base + '/console/keys');
  await producer.locator('#vendor').fill(key.vendor);
  await producer.locator('#model').fill(key.model);
  await producer.locator('#batch').fill('SOFTHSM-1');
  await producer.locator('#serials').fill(key.serial);
  await producer.getByRole('button', { name: '入库', exact: true }).click();
  await producer.locator('[data-testid=received]').waitFor();
  const passwordFile = join(key.dir, 'producer-password');
  writeFileSync(passwordFile, password, { mode: 0o600 });
  const transportFile = join(key.dir, 'transport-so-pin');
  writeFileSync(transportFile, key.transportSoPin, { mode: 0o600 });
  return execFileSync(keyBinary, [
    'produce', '--server', server.base, '--user', user, '--password-file', passwordFile,
    '--module', SOFTHSM_MODULE, '--application', String(applicationId), '--transport-so-pin-file', transportFile,
    '--pin-envelope', join(key.dir, 'pin-envelope.txt'), '--workstation', 'zhizheng-pc-01',
  ], { env: key.env, encoding: 'utf8' });
}
