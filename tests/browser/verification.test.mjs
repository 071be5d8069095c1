// Real-name verification (实名认证) in a real browser, against the identity sandbox: a
// huanbao installation whose channel offers every method (the hall configuration given
// to `serve` adds them). The legal representative's mobile check refused with the
// sandbox's mismatch identity; a bad bank card refused by its Luhn digit before any
// service is asked; the face check by QR code finished on a phone (second browser context,
// mobile viewport) while the computer's page updates by itself; a penny-drop's code read
// from the sandbox bank's statement; screenshots of each page, each checked by axe.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCertHall, startBrowser, smsCode, shoot } from './harness.mjs';

let server;
let browser;
// One customer's browser through both tests.
let context;
let page;
let applicationUrl;
let configDir;

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

before(async () => {
  // The built-in hall configuration, with every verification method on huanbao.
  const builtIn = readFileSync(join(repo, 'crates', 'services', 'hall.toml'), 'utf8');
  const next = builtIn.indexOf('[[channels]]', builtIn.indexOf('code = "huanbao"'));
  const methods = '[channels.verification]\nmethods = ["penny_drop", "legal_rep_mobile", "legal_rep_bank_card", "legal_rep_face", "agent_mobile", "agent_bank_card", "agent_face"]\n\n';
  configDir = mkdtempSync(join(tmpdir(), 'certhall-hall-'));
  const config = join(configDir, 'hall.toml');
  writeFileSync(config, builtIn.slice(0, next) + methods + builtIn.slice(next));
  server = await startCertHall(['--hall-config', config]);
  browser = await startBrowser();
});

after(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

const PHONE = '13800138250';

/// From the start page of huanbao to the verification step, the same data each time.
async function upToVerification() {
  await page.waitForURL('**/c/huanbao/apply');
  await page.getByRole('button', { name: '下一步' }).click();
  await page.waitForURL(/\/applications\/\d+$/);
  await byId(page, 'name').fill('北京环保科技有限公司');
  await page.locator('#industry').selectOption('C');
  await byId(page, 'uscc').fill('91350100M000100Y43');
  await byId(page, 'custom-ten_ring_cert_no').fill('CCEL-2026-0001');
  await page.getByRole('button', { name: '保存，下一步' }).click();
  await byId(page, 'name').fill('张三');
  await byId(page, 'email').fill('zhang@example.cn');
  await byId(page, 'id_number').fill('11010519491231002X');
  await page.getByRole('button', { name: '保存，下一步' }).click();
  await page.locator('h2', { hasText: '配送与发票' }).waitFor();
  await byId(page, 'address.province').fill('北京市');
  await byId(page, 'address.city').fill('北京市');
  await byId(page, 'address.district').fill('海淀区');
  await byId(page, 'address.detail').fill('中关村大街1号');
  await page.getByRole('button', { name: '保存，下一步' }).click();
}

const PASSWORD = 'Hall2026pass';
const byId = (page, id) => page.locator(`[id="${id}"]`);

test('huanbao with verification: refusals, face by QR on a phone, agent by bank card', async () => {
  context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  page = await context.newPage();

  await page.goto(server.base + '/register');
  await page.locator('#phone').fill(PHONE);
  await page.getByRole('button', { name: '获取验证码' }).click();
  await page.locator('.notice').waitFor();
  const { code } = await smsCode(server.dataDir, PHONE, 'register');
  await page.locator('#code').fill(code);
  await page.locator('#password').fill(PASSWORD);
  await page.locator('#password_confirm').fill(PASSWORD);
  await page.locator('#agree').check();
  await page.getByRole('button', { name: '注册', exact: true }).click();
  await page.waitForURL('**/me?notice=registered');

  await page.goto(server.base + '/c/huanbao');
  await page.locator('[data-testid=apply]').click();
  await upToVerification();
  applicationUrl = page.url().replace(/\?.*$/, '');
  await page.locator('h2', { hasText: '实名认证' }).waitFor();
  await shoot(page, 'verification');

  // The legal representative's mobile does not belong to them (sandbox: …0000).
  const legal = page.locator('[data-testid=party-organisation] details').nth(1);
  await legal.locator('summary').click();
  await byId(page, 'legal_rep.name').fill('王法人');
  await byId(page, 'legal_rep.id_number').fill('11010519491231002X');
  await byId(page, 'legal_rep.mobile').fill('13912340000');
  await page.getByRole('button', { name: '法定代表人手机号认证' }).click();
  const refused = page.locator('[data-testid=verify-error]');
  await refused.waitFor();
  assert.match(await refused.textContent(), /姓名、身份证号与手机号不一致/);
  assert.equal(await byId(page, 'legal_rep.mobile').inputValue(), '13912340000', 'what was typed is kept');
  await shoot(page, 'verification-refused');

  // A card number with a wrong check digit never reaches the service.
  await byId(page, 'legal_rep.mobile').fill('13800138251');
  await byId(page, 'legal_rep.bank_card').fill('6222020200112233445');
  await page.getByRole('button', { name: '法定代表人银行卡信息认证' }).click();
  await page.locator('[data-testid=verify-error]', { hasText: '银行卡号校验位错误' }).waitFor();

  // The face check: the QR code on the computer, the page on the phone.
  await byId(page, 'legal_rep.bank_card').fill('');
  await page.getByRole('button', { name: '法定代表人刷脸认证' }).click();
  await page.locator('[data-testid=face-link] svg').waitFor();
  await shoot(page, 'verification-face-qr');
  const faceUrl = await page.locator('[data-testid=face-url]').getAttribute('href');
  const phone = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const mobile = await phone.newPage();
  await mobile.goto(faceUrl);
  await mobile.locator('[data-testid=face-state]', { hasText: '待认证' }).waitFor();
  assert.match(await mobile.content(), /王\*\*/);
  await shoot(mobile, 'sandbox-face-phone');
  await mobile.locator('[data-testid=face-pass]').click();
  await mobile.locator('[data-testid=face-state]', { hasText: '认证通过' }).waitFor();
  await shoot(mobile, 'sandbox-face-passed');
  // The computer's page notices by itself.
  await page.locator('[data-testid=outcome-organisation]', { hasText: '法定代表人刷脸认证' }).waitFor({ timeout: 15000 });

  // The agent: the penny-drop is the organisation's; the agent goes by bank card.
  await byId(page, 'agent.bank_card').fill('6222020200112233446');
  await page.getByRole('button', { name: '经办人银行卡信息认证' }).click();
  await page.locator('h2', { hasText: '资料上传' }).waitFor();
  await page.goto(applicationUrl + '?step=verification');
  await page.locator('[data-testid=outcome-agent]', { hasText: '经办人银行卡信息认证' }).waitFor();
  await shoot(page, 'verification-done');
  await phone.close();
});

test('a penny-drop code read from the sandbox bank statement verifies the organisation', async () => {
  // The first application is verified; cancel it and start a fresh one (one unfinished
  // application per organisation).
  await page.goto(applicationUrl);
  await page.getByRole('button', { name: '取消本申请' }).click();
  await page.waitForURL('**/applications');
  await page.goto(server.base + '/c/huanbao/apply');
  await upToVerification();
  await page.locator('h2', { hasText: '实名认证' }).waitFor();

  const penny = page.locator('[data-testid=party-organisation] details').first();
  await penny.locator('summary').click();
  await byId(page, 'account.bank').fill('工商银行北京中关村支行');
  await byId(page, 'account.number').fill('0200 0045 0901 4412 345');
  await page.getByRole('button', { name: '发起打款' }).click();
  await page.locator('[data-testid=penny-pending]').waitFor();
  assert.match(await page.locator('[data-testid=penny-pending]').textContent(), /\*\*\*\*2345/);
  await shoot(page, 'verification-penny-pending');

  const bank = await context.newPage();
  await bank.goto(server.base + '/sandbox/identity/bank');
  const remark = await bank.locator('[data-testid=remark]').first().textContent();
  await shoot(bank, 'sandbox-bank-statement');
  const code = remark.match(/\d{6}/)[0];
  await byId(page, 'code').fill(code);
  await page.getByRole('button', { name: '提交验证码' }).click();
  await page.locator('[data-testid=outcome-organisation]', { hasText: '企业对公打款认证' }).waitFor();
  await page.locator('[data-testid=documents-agent]').click();
  await page.locator('h2', { hasText: '资料上传' }).waitFor();
  await bank.close();
});
