// A crash while payment notices arrive: the real server (`certhall serve`) pointed at the
// payment simulator (`certhall paysim`, Alipay's notices resent on Alipay's schedule divided
// by 600). Orders of huanbao applications are placed over the API and shown as QR codes;
// the buyer pays half of them and the server is killed with SIGKILL while their notices
// are being delivered; the other half is paid while it is down. After the restart, the
// simulator's resends (and the reconciliation) reach it: every order is paid exactly once
// (one `order.confirm` each), the applications went on to review, and `audit verify`
// finds the chain intact. No browser: this is the binary's behaviour.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { deflateSync, crc32 } from 'node:zlib';
import { request } from 'playwright-core';
import { binary, startCertHall, startPaysim, smsCode } from './harness.mjs';

let server;
let sim;

before(async () => {
  sim = await startPaysim();
  server = await startCertHall(['--sms-resend-after', '0', ...sim.serveArgs]);
});

after(async () => {
  await server?.stop();
  await sim?.stop();
});

/// A real PNG (a 64×48 gradient) to upload as a scanned document.
function png(width = 64, height = 48) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([x * 4, y * 5, 128], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/// A customer with an account on `phone`: an API session of its own.
async function customer(phone) {
  const api = await request.newContext({ baseURL: server.base });
  let answer = await api.post('/api/v1/sms-codes', { data: { phone, purpose: 'register' } });
  assert.equal(answer.status(), 202, await answer.text());
  const { code } = await smsCode(server.dataDir, phone, 'register');
  answer = await api.post('/api/v1/accounts', { data: { phone, code, password: 'Crash2026pass', agree: true } });
  assert.equal(answer.status(), 201, await answer.text());
  const csrf = (await (await api.get('/api/v1/me')).json()).csrf_token;
  const call = async (method, path, data) => {
    const response = await api.fetch(path, { method, headers: { 'X-CSRF-Token': csrf }, data });
    const text = await response.text();
    assert.ok(response.ok(), `${method} ${path}: ${response.status()} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return { api, csrf, call, phone, signed: 0 };
}

/// A submitted huanbao application of `who`, ordered online; the order's id and the
/// simulator's trade number of its Alipay QR code.
async function orderedOnline(who, image) {
  const { call, api, csrf, phone } = who;
  const started = await call('POST', '/api/v1/applications', { channel: 'huanbao', product: 'org-usbkey', years: 1, quantity: 1 });
  const id = started.id;
  let version = started.version;
  const steps = [
    ['subject', { organisation: { name: '北京环保科技有限公司', nature: 'enterprise', industry: 'C', three_in_one: true, uscc: '91350100M000100Y43', department: '采购部', custom: { ten_ring_cert_no: 'CCEL-2026-0001' } } }],
    ['agent', { agent: { name: '张三', email: 'zhang@example.cn', id_number: '11010519491231002X' } }],
    ['delivery', { courier: 'sto', save_address: false, address: { recipient: '张三', phone, province: '北京市', city: '北京市', district: '海淀区', detail: '中关村大街1号', postal_code: '100080' }, invoice: { needed: false } }],
  ];
  for (const [step, body] of steps) {
    version = (await call('PUT', `/api/v1/applications/${id}/${step}`, { version, ...body })).version;
  }
  const shown = await call('GET', `/api/v1/applications/${id}`);
  for (const slot of shown.missing_documents) {
    const response = await api.post(`/api/v1/applications/${id}/documents/${slot}`, {
      headers: { 'X-CSRF-Token': csrf },
      multipart: { file: { name: 'scan.png', mimeType: 'image/png', buffer: image } },
    });
    assert.equal(response.status(), 201, await response.text());
    version = (await response.json()).version;
  }
  version = (await call('PUT', `/api/v1/applications/${id}/agreement`, { version, agreement_version: shown.agreement_version })).version;
  await call('POST', `/api/v1/applications/${id}/signing-code`);
  // The code of this signature: one more than the number had before.
  const signing = await smsCode(server.dataDir, phone, 'sign_application', who.signed);
  who.signed = signing.count;
  await call('POST', `/api/v1/applications/${id}/submission`, { version, code: signing.code });
  const order = await call('POST', '/api/v1/orders', { applications: [id], method: 'online' });
  const code = await call('POST', `/api/v1/orders/${order.id}/online-payment?provider=alipay`);
  const trade = code.qr_code.split('/alipay/qr/')[1];
  assert.ok(trade, code.qr_code);
  return { order: order.id, application: id, trade, who };
}

async function pay(trade) {
  const response = await fetch(`${sim.base_url}/_sim/alipay/${trade}/pay`, { method: 'POST' });
  assert.equal(response.status, 200, await response.text());
}

test('killed with SIGKILL while notices arrive: after the restart every order is paid exactly once', async (t) => {
  const image = png();
  const orders = [];
  // Four applications a number (its hourly code limit: registration and four signatures).
  for (const phone of ['13800139001', '13800139002', '13800139003']) {
    const who = await customer(phone);
    for (let i = 0; i < 4; i++) orders.push(await orderedOnline(who, image));
  }
  const half = orders.length / 2;

  // Half paid at once; the server is killed while their notices are delivered.
  await Promise.all(orders.slice(0, half).map((o) => pay(o.trade)));
  await new Promise((r) => setTimeout(r, 30));
  await server.kill();
  // The other half is paid while it is down: their first deliveries find no one.
  await Promise.all(orders.slice(half).map((o) => pay(o.trade)));
  await new Promise((r) => setTimeout(r, 1500));
  await server.restart();

  // Alipay resends (4 and 10 minutes after, divided by 600); every order ends paid.
  const paid = async () => {
    let count = 0;
    for (const who of new Set(orders.map((o) => o.who))) {
      const mine = await who.api.get('/api/v1/orders');
      assert.equal(mine.status(), 200, 'the session outlived the crash');
      count += (await mine.json()).filter((o) => o.status === 'paid').length;
    }
    return count;
  };
  for (let i = 0; i < 300 && (await paid()) < orders.length; i++) {
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(await paid(), orders.length, 'every order paid');
  const deliveries = await (await fetch(`${sim.base_url}/_sim/deliveries`)).json();
  assert.ok(deliveries.some((d) => d.answer !== 'success'), 'some notices found the server down');
  const answered = deliveries.filter((d) => d.answer === 'success').length;
  t.diagnostic(`${deliveries.length} deliveries, ${answered} answered success, ${deliveries.length - answered} unanswered (the server killed or down)`);
  for (const o of orders) {
    const shown = await o.who.call('GET', `/api/v1/applications/${o.application}`);
    assert.equal(shown.status, 'submitted', 'paid before review: now waiting for review');
  }

  // Exactly once: one confirmation per order; the audit chain intact.
  await server.kill();
  const cli = (...args) => execFileSync(binary, ['--data-dir', server.dataDir, ...args], { encoding: 'utf8', env: { ...process.env, RUST_LOG: 'error' } });
  const confirmations = cli('audit', 'list', '--action', 'order.confirm', '--limit', '1000')
    .split('\n')
    .filter((line) => line.includes('order.confirm'));
  assert.equal(confirmations.length, orders.length, confirmations.join('\n'));
  const objects = new Set(confirmations.map((line) => line.match(/order:\d+/)[0]));
  assert.equal(objects.size, orders.length);
  assert.match(cli('audit', 'verify'), /intact/i);
  await server.restart();
});
