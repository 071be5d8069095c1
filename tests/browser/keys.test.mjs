// The USB key inventory (介质管理) and the production page (制证) in a real browser: an
// administrator adds a producer; the producer receives a batch of keys (a mistyped serial
// refused beside its field, what was typed kept), sees the stock flagged low on the page
// and the dashboard, opens a key, marks it damaged with a reason and reads its history,
// and looks at the production page; an administrator looks at the shipping and pickup
// queues. Each page is screenshotted and checked for accessibility.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCertHall, startBrowser, shoot, consoleLogin, adminLogin, addOperator } from './harness.mjs';

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


test('a producer receives keys, follows one, and watches production', async () => {
  const admin = await adminLogin(browser, server);
  const password = await addOperator(admin, server, 'zhizheng1', '制证员', 'producer');

  const producer = await consoleLogin(browser, server, 'zhizheng1', password);
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

  // The shipper's and the counter's queues, as an administrator sees them (empty here).
  await admin.goto(server.base + '/console/shipping');
  await admin.locator('[data-testid=shipping-empty]').waitFor();
  await shoot(admin, 'shipping');
  await admin.goto(server.base + '/console/pickups');
  await admin.locator('[data-testid=pickups-empty]').waitFor();
  await shoot(admin, 'pickups');
});
