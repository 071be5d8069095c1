// The USB key inventory (介质管理) and the production page (制证) in a real browser: an
// administrator adds a producer; the producer receives a batch of keys (a mistyped serial
// refused beside its field, what was typed kept), sees the stock flagged low on the page
// and the dashboard, opens a key, marks it damaged with a reason and reads its history,
// and looks at the production page. Each page is screenshotted and checked for
// accessibility.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCertHall, startBrowser, shoot } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startCertHall();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function consoleLogin(username, password) {
  const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  await page.goto(server.base + '/console/login');
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/console$/);
  return page;
}

test('a producer receives keys, follows one, and watches production', async () => {
  const adminPassword = readFileSync(join(server.dataDir, 'initial-admin-password'), 'utf8').trim();
  const admin = await consoleLogin('admin', adminPassword);
  await admin.goto(server.base + '/console/operators');
  await admin.locator('#username').fill('zhizheng1');
  await admin.locator('#display_name').fill('制证员');
  await admin.locator('form[action="/console/operators"] input[value=producer]').check();
  await admin.getByRole('button', { name: '新增操作员' }).click();
  const password = await admin.locator('[data-testid=new-password] code').innerText();

  const producer = await consoleLogin('zhizheng1', password);
  await producer.getByRole('link', { name: '介质管理' }).first().click();
  await producer.waitForURL('**/console/keys');
  await producer.locator('[data-testid=no-stock]').waitFor();

  // A serial with a space: refused beside the field, naming its line; the batch kept.
  await producer.locator('#vendor').fill('飞天诚信');
  await producer.locator('#model').fill('ePass3003');
  await producer.locator('#batch').fill('FT-2026-12-01');
  await producer.locator('#serials').fill('FT0000000101\nFT 0000000102\nFT0000000103');
  await producer.getByRole('button', { name: '入库', exact: true }).click();
  await producer.locator('#serials[aria-invalid=true]').waitFor();
  assert.match(await producer.locator('#serials-error').innerText(), /第 2 行/);
  assert.equal(await producer.locator('#batch').inputValue(), 'FT-2026-12-01');
  await shoot(producer, 'keys-refused');

  await producer.locator('#serials').fill('FT0000000101\nFT0000000102\nFT0000000103');
  await producer.getByRole('button', { name: '入库', exact: true }).click();
  await producer.locator('[data-testid=received]').waitFor();
  assert.match(await producer.locator('[data-testid=received]').innerText(), /已入库 3 个介质/);
  assert.equal(await producer.locator('[data-testid=low-stock]').count(), 1);
  await shoot(producer, 'keys-stock');

  await producer.goto(server.base + '/console');
  await producer.locator('[data-testid=low-stock-warning]').waitFor();
  await shoot(producer, 'dashboard-low-stock');

  // Found by serial; its page; damaged with a reason; its history.
  await producer.goto(server.base + '/console/keys');
  await producer.locator('#q').fill('0000000102');
  await producer.getByRole('button', { name: '查询' }).click();
  await producer.getByRole('link', { name: 'FT0000000102' }).click();
  await producer.locator('[data-testid=status]').waitFor();
  assert.equal(await producer.locator('[data-testid=status]').innerText(), '在库');
  await producer.locator('#reason').fill('外壳破裂');
  await producer.getByRole('button', { name: '标记损坏' }).click();
  await producer.waitForURL('**/console/keys/*');
  assert.equal(await producer.locator('[data-testid=status]').innerText(), '已损坏');
  const history = await producer.locator('[data-testid=history]').innerText();
  assert.match(history, /介质损坏/);
  assert.match(history, /介质入库/);
  await shoot(producer, 'key-damaged');

  await producer.getByRole('link', { name: '制证' }).first().click();
  await producer.waitForURL('**/console/production');
  await producer.locator('[data-testid=production-empty]').waitFor();
  await shoot(producer, 'production');
});
