// Paying online in a real browser: CertHall pointed at the payment simulator
// (`certhall paysim`, Alipay's gateway on 127.0.0.1). A huanbao application (paid before
// review) is filled in over the API in the customer's own session; in the pages the
// customer places the order online, asks for the QR code; the buyer opens the code's page
// in a phone-sized second browser and pays; the order page moves on by itself, and the
// application waits for review. Then finance cancels the paid order and refunds part of it
// through Alipay; the customer sees the refund and the application cancelled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCertHall, startBrowser, startPaysim, smsCode, shoot } from './harness.mjs';

let server;
let browser;
let sim;

before(async () => {
  sim = await startPaysim();
  server = await startCertHall(['--sms-resend-after', '0', ...sim.serveArgs]);
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await sim?.stop();
});

const PHONE = '13800138700';

/// A JSON call of the API in the page's session (its CSRF token in the header).
async function api(page, csrf, method, path, data) {
  const response = await page.request.fetch(server.base + path, {
    method,
    headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
    data: data === undefined ? undefined : JSON.stringify(data),
  });
  const text = await response.text();
  assert.ok(response.ok(), `${method} ${path}: ${response.status()} ${text}`);
  return text ? JSON.parse(text) : null;
}

test('huanbao pays online: QR code, paid on the phone, the order page moves on by itself', async () => {
  const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  await page.goto(server.base + '/register');
  await page.locator('#phone').fill(PHONE);
  await page.getByRole('button', { name: '获取验证码' }).click();
  await page.locator('.notice').waitFor();
  const { code } = await smsCode(server.dataDir, PHONE, 'register');
  await page.locator('#code').fill(code);
  await page.locator('#password').fill('Online2026pass');
  await page.locator('#password_confirm').fill('Online2026pass');
  await page.locator('#agree').check();
  await page.getByRole('button', { name: '注册', exact: true }).click();
  await page.waitForURL('**/me?notice=registered');

  // The application over the API, in this session.
  const csrf = (await api(page, '', 'GET', '/api/v1/me')).csrf_token;
  const started = await api(page, csrf, 'POST', '/api/v1/applications', { channel: 'huanbao', product: 'org-usbkey', years: 1, quantity: 1 });
  const id = started.id;
  let version = started.version;
  const steps = [
    ['subject', { organisation: { name: '北京环保科技有限公司', nature: 'enterprise', industry: 'C', three_in_one: true, uscc: '91350100M000100Y43', department: '采购部', custom: { ten_ring_cert_no: 'CCEL-2026-0001' } } }],
    ['agent', { agent: { name: '张三', email: 'zhang@example.cn', id_number: '11010519491231002X' } }],
    ['delivery', { courier: 'sto', save_address: false, address: { recipient: '张三', phone: PHONE, province: '北京市', city: '北京市', district: '海淀区', detail: '中关村大街1号', postal_code: '100080' }, invoice: { needed: true, kind: 'electronic_normal', email: 'fp@example.cn' } }],
  ];
  for (const [step, body] of steps) {
    version = (await api(page, csrf, 'PUT', `/api/v1/applications/${id}/${step}`, { version, ...body })).version;
  }
  const image = await page.screenshot({ type: 'png', clip: { x: 0, y: 0, width: 400, height: 300 } });
  const shown = await api(page, csrf, 'GET', `/api/v1/applications/${id}`);
  for (const slot of shown.missing_documents) {
    const response = await page.request.post(`${server.base}/api/v1/applications/${id}/documents/${slot}`, {
      headers: { 'X-CSRF-Token': csrf },
      multipart: { file: { name: 'scan.png', mimeType: 'image/png', buffer: image } },
    });
    assert.equal(response.status(), 201, await response.text());
    version = (await response.json()).version;
  }
  version = (await api(page, csrf, 'PUT', `/api/v1/applications/${id}/agreement`, { version, agreement_version: shown.agreement_version })).version;
  await api(page, csrf, 'POST', `/api/v1/applications/${id}/signing-code`);
  const signing = await smsCode(server.dataDir, PHONE, 'sign_application');
  await api(page, csrf, 'POST', `/api/v1/applications/${id}/submission`, { version, code: signing.code });

  // 下单缴费 in the pages, online.
  await page.goto(`${server.base}/applications/${id}`);
  await page.locator('[data-testid=status]', { hasText: '待支付' }).waitFor();
  await page.locator('[data-testid=place-order]').click();
  await page.getByLabel('在线支付（微信、支付宝）').check();
  await page.getByRole('button', { name: '提交订单' }).click();
  await page.waitForURL(/\/orders\/\d+$/);
  await page.locator('[data-testid=pay-online-alipay]').click();
  await page.locator('[data-testid=pay-qr] svg').waitFor();
  await shoot(page, 'order-qr');
  const link = await page.locator('[data-testid=pay-link]').getAttribute('href');
  assert.ok(link.startsWith(sim.base_url), link);

  // The buyer "scans": the code's page on a phone-sized browser, and pays.
  const phone = await (await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 760 } })).newPage();
  await phone.goto(link);
  await phone.getByRole('button', { name: '确认付款' }).click();
  await phone.locator('[data-testid=paid]').waitFor();

  // The order page reloads by itself once the signed notice has paid the order.
  await page.locator('[data-testid=status]', { hasText: '已支付' }).waitFor({ timeout: 20000 });
  await page.locator('[data-testid=paid]').waitFor();
  await shoot(page, 'order-paid-online');
  const orderUrl = page.url();
  const orderId = orderUrl.match(/\/orders\/(\d+)$/)[1];
  await page.goto(`${server.base}/applications/${id}`);
  await page.locator('[data-testid=status]', { hasText: '待审核' }).waitFor();

  // The customer asks to cancel; finance cancels the paid order and refunds part of it
  // (撤单退款): more than was paid is refused beside its field, then 100.00 goes back
  // through Alipay and both sides see it.
  const adminPassword = readFileSync(join(server.dataDir, 'initial-admin-password'), 'utf8').trim();
  const finance = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  await finance.goto(server.base + '/console/login');
  await finance.locator('#username').fill('admin');
  await finance.locator('#password').fill(adminPassword);
  await finance.getByRole('button', { name: '登录' }).click();
  await finance.waitForURL(/\/console$/);
  await finance.goto(server.base + '/console/operators');
  await finance.locator('#username').fill('caiwu1');
  await finance.locator('#display_name').fill('财务一');
  await finance.locator('form[action="/console/operators"] input[value=finance]').check();
  await finance.getByRole('button', { name: '新增操作员' }).click();
  const financePassword = await finance.locator('[data-testid=new-password] code').innerText();
  await finance.context().clearCookies();
  await finance.goto(server.base + '/console/login');
  await finance.locator('#username').fill('caiwu1');
  await finance.locator('#password').fill(financePassword);
  await finance.getByRole('button', { name: '登录' }).click();
  await finance.waitForURL(/\/console$/);
  await finance.getByRole('link', { name: '银行流水' }).click();
  await finance.locator('[data-testid=no-credits]').waitFor();
  await shoot(finance, 'console-statements');
  await finance.goto(`${server.base}/console/orders/${orderId}`);
  await finance.locator('#amount').fill('99999');
  await finance.locator('#refund-reason').fill('客户申请撤单，扣除已寄出介质的费用');
  await finance.getByRole('button', { name: '撤单并退款' }).click();
  await finance.locator('#amount-error').waitFor();
  assert.match(await finance.locator('#amount-error').innerText(), /不超过已支付/);
  assert.equal(await finance.locator('#refund-reason').inputValue(), '客户申请撤单，扣除已寄出介质的费用', 'what was typed stays');
  await shoot(finance, 'console-refund-refused');
  await finance.locator('#amount').fill('100.00');
  await finance.getByRole('button', { name: '撤单并退款' }).click();
  await finance.locator('[data-testid=status]', { hasText: '已退款' }).waitFor();
  await finance.locator('[data-testid=refund-row]', { hasText: '100.00' }).waitFor();
  await shoot(finance, 'console-order-refunded');
  await page.goto(orderUrl);
  await page.locator('[data-testid=refund]', { hasText: '¥100.00' }).waitFor();
  await shoot(page, 'order-refunded');
  await page.goto(`${server.base}/applications/${id}`);
  await page.locator('[data-testid=status]', { hasText: '已取消' }).waitFor();
});
