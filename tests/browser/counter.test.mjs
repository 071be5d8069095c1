// Counter business (现场办理) in a real browser, to the keys collected at the counter: an
// administrator adds a counter clerk; the clerk takes a zgjg application (new certificates
// only at the counter, seed 001) for a customer who has no account yet, goes through the
// wizard in the console, signs with the code the customer received; the customer, told by
// SMS, sets a password and finds the application online with the counter clerk in its
// timeline. Then (zgjg set up here without fee, so nothing to pay, and made of ECDSA P-256:
// SoftHSM2 has no SM2) a reviewer approves, the producer receives a blank SoftHSM2 key and
// `certhall-key produce` puts the certificate on it, the customer gets the pickup code by
// SMS and sees 可领取 (seed 003); at the counter a wrong code is refused beside its field
// and the right one hands the key over: 已完成.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startCertHall, startBrowser, smsCode, smsMessages, shoot, consoleLogin, adminLogin, addOperator,
  blankKey, receiveAndProduce,
} from './harness.mjs';

let server;
let browser;
let key;

before(async () => {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const hall = readFileSync(join(repo, 'crates/services/hall.toml'), 'utf8');
  const start = hall.indexOf('code = "zgjg"');
  const end = hall.indexOf('# -----', start);
  const zgjg = hall.slice(start, end).replace('family = "sm2"', 'family = "ecdsa"').replace('new_per_set = 26000', 'new_per_set = 0');
  key = blankKey();
  const hallFile = join(key.dir, 'hall.toml');
  writeFileSync(hallFile, hall.slice(0, start) + zgjg + hall.slice(end));
  server = await startCertHall(['--sms-resend-after', '0', '--hall-config', hallFile]);
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  key?.remove();
});

const CUSTOMER = '13800138300';
const byId = (page, id) => page.locator(`[id="${id}"]`);


test('a counter clerk applies for a customer who came in person, who collects the key there', async () => {
  const admin = await adminLogin(browser, server);
  const clerkPassword = await addOperator(admin, server, 'guitai1', '柜台受理员', 'counter');

  const clerk = await consoleLogin(browser, server, 'guitai1', clerkPassword);
  await clerk.getByRole('link', { name: '现场受理' }).first().click();
  await clerk.waitForURL('**/console/counter');
  await clerk.locator('[data-testid=counter-empty]').waitFor();
  await shoot(clerk, 'counter');
  await clerk.locator('[data-testid=counter-channel-zgjg]').click();
  await clerk.waitForURL('**/console/counter/new/zgjg');

  // A number with a digit missing is refused beside the field, the form kept.
  await byId(clerk, 'phone').fill('1380013830');
  await clerk.getByRole('button', { name: '下一步' }).click();
  await clerk.locator('#phone[aria-invalid=true]').waitFor();
  await shoot(clerk, 'counter-start-refused');
  await byId(clerk, 'phone').fill(CUSTOMER);
  await clerk.getByRole('button', { name: '下一步' }).click();
  await clerk.waitForURL(/\/console\/counter\/applications\/\d+$/);
  const opened = await smsMessages(server.dataDir, CUSTOMER, 'account.opened_at_counter');
  assert.match(opened[0].text, /忘记密码/);

  // The customer's wizard, in the console's frame.
  await byId(clerk, 'name').fill('中直机关某采购中心');
  await clerk.locator('#industry').selectOption('S');
  await clerk.locator('input[name=three_in_one][value=yes]').check();
  await byId(clerk, 'uscc').fill('91350100M000100Y43');
  await byId(clerk, 'department').fill('办公室');
  await shoot(clerk, 'counter-subject');
  await clerk.getByRole('button', { name: '保存，下一步' }).click();
  await byId(clerk, 'name').fill('王五');
  await byId(clerk, 'email').fill('wangwu@example.cn');
  await byId(clerk, 'position').fill('采购专员');
  await byId(clerk, 'id_number').fill('11010519491231002X');
  await clerk.getByRole('button', { name: '保存，下一步' }).click();
  await clerk.locator('h2', { hasText: '配送与发票' }).waitFor();
  await clerk.getByRole('button', { name: '保存，下一步' }).click();
  await clerk.locator('h2', { hasText: '资料上传' }).waitFor();
  const image = await clerk.screenshot({ type: 'png', clip: { x: 0, y: 0, width: 400, height: 300 } });
  for (const slot of await clerk.locator('[data-testid^=slot-]').all()) {
    await slot.locator('input[type=file]').setInputFiles({ name: 'scan.png', mimeType: 'image/png', buffer: image });
    await slot.getByRole('button', { name: '上传', exact: true }).click();
    await clerk.locator('h2', { hasText: '资料上传' }).waitFor();
  }
  await shoot(clerk, 'counter-documents');
  await clerk.getByRole('link', { name: '下一步' }).click();
  await clerk.locator('#agree').check();
  await clerk.getByRole('button', { name: '同意，下一步' }).click();

  // The code goes to the customer's phone (masked on the page), read out at the counter.
  await clerk.locator('h2', { hasText: '确认申请信息' }).waitFor();
  assert.match(await clerk.locator('main').innerText(), /138\*{4}8300|138\*+8300/);
  await clerk.getByRole('button', { name: '获取短信验证码' }).click();
  await clerk.locator('p.notice').waitFor();
  await shoot(clerk, 'counter-confirm');
  const { code } = await smsCode(server.dataDir, CUSTOMER, 'sign_application');
  await byId(clerk, 'code').fill(code);
  await clerk.getByRole('button', { name: '签名并提交' }).click();
  await clerk.locator('[data-testid=status]', { hasText: '待审核' }).waitFor();
  const number = (await clerk.locator('.crumbs').innerText()).match(/SQ\d+/)[0];
  await shoot(clerk, 'counter-submitted');
  await clerk.goto(server.base + '/console/counter');
  await clerk.locator('[data-testid=counter-row]', { hasText: number }).waitFor();
  await shoot(clerk, 'counter-list');

  // The customer sets a password with 忘记密码 and follows the application online.
  const customer = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  await customer.goto(server.base + '/password-reset');
  await customer.locator('#phone').fill(CUSTOMER);
  await customer.getByRole('button', { name: '获取验证码' }).click();
  await customer.locator('.notice').waitFor();
  const reset = await smsCode(server.dataDir, CUSTOMER, 'reset_password');
  await customer.locator('#code').fill(reset.code);
  await customer.locator('#new_password').fill('Counter2026pass');
  await customer.locator('#password_confirm').fill('Counter2026pass');
  await customer.getByRole('button', { name: '重置密码' }).click();
  await customer.waitForURL('**/login?notice=password_reset');
  await customer.locator('#phone').fill(CUSTOMER);
  await customer.locator('#password').fill('Counter2026pass');
  await customer.getByRole('button', { name: '登录', exact: true }).click();
  await customer.goto(server.base + '/applications');
  await customer.getByRole('link', { name: number }).click();
  await customer.locator('[data-testid=status]', { hasText: '待审核' }).waitFor();
  const timeline = await customer.locator('main').innerText();
  assert.match(timeline, /现场受理员/);
  assert.ok(!timeline.includes('guitai1'), 'the clerk is not named to the customer');
  await shoot(customer, 'counter-customer-application');

  // Review, then production onto the blank key.
  const reviewerPassword = await addOperator(admin, server, 'shenhe1', '审核员', 'reviewer');
  const producerPassword = await addOperator(admin, server, 'zhizheng1', '制证员', 'producer');
  const reviewer = await consoleLogin(browser, server, 'shenhe1', reviewerPassword);
  await reviewer.goto(server.base + '/console/reviews');
  await reviewer.getByRole('link', { name: number }).click();
  await reviewer.getByRole('button', { name: '受理' }).click();
  await reviewer.getByRole('button', { name: '审核通过' }).click();
  await reviewer.waitForURL('**/console/reviews');
  const producer = await consoleLogin(browser, server, 'zhizheng1', producerPassword);
  const id = customer.url().match(/\/applications\/(\d+)/)[1];
  const made = await receiveAndProduce(producer, server, key, 'zhizheng1', producerPassword, id);
  assert.ok(made.includes(key.serial), made);

  // 可领取: the customer's pickup code by SMS.
  const sent = await smsMessages(server.dataDir, CUSTOMER, 'application.pickup_code');
  const pickupCode = sent[sent.length - 1].text.match(/领取码 (\d{6})/)[1];
  await customer.reload();
  await customer.locator('[data-testid=status]', { hasText: '可领取' }).waitFor();
  assert.match(await customer.locator('[data-testid=pickup]').innerText(), /领取码/);
  await shoot(customer, 'counter-ready-for-pickup');

  // At the counter: a wrong code refused beside the field; the right one hands it over.
  await clerk.goto(server.base + '/console/pickups');
  const row = () => clerk.locator('[data-testid=pickup-row]', { hasText: number });
  await row().waitFor();
  await shoot(clerk, 'pickups');
  await row().locator('input[name=code]').fill(pickupCode === '000000' ? '111111' : '000000');
  await row().locator('[data-testid=hand-over]').click();
  await clerk.locator('#code-error').waitFor();
  await shoot(clerk, 'pickup-refused');
  await row().locator('input[name=code]').fill(pickupCode);
  await row().locator('[data-testid=hand-over]').click();
  await clerk.locator('[data-testid=pickups-empty]').waitFor();
  await customer.reload();
  await customer.locator('[data-testid=status]', { hasText: '已完成' }).waitFor();
  await shoot(customer, 'counter-collected');
});
