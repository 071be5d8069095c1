// The business hall and the operator console in a real browser: every page a customer or
// an operator meets in this issue, with a screenshot of each under target/screenshots/ and
// an accessibility check (axe-core, WCAG 2.1 A/AA) of each.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCertHall, startBrowser, smsCode, smsMessages, shoot, accessibilityProblems } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startCertHall(['--sms-resend-after', '0']);
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const PHONE = '13800138000';
const PASSWORD = 'Hall2026pass';

test('home, channel pages and the language switch', async () => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(server.base + '/');
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  await page.getByRole('heading', { name: '数字证书网上业务大厅' }).waitFor();
  // The five seed channels.
  assert.equal(await page.locator('.cards .card').count(), 5);
  // Footer from the hall configuration.
  assert.match(await page.locator('footer').innerText(), /400-666-3999/);
  await shoot(page, 'home-zh');

  await page.getByRole('link', { name: '环境标志产品政府采购清单信息系统 USBKEY' }).click();
  await page.waitForURL('**/c/huanbao');
  const body = await page.locator('main').innerText();
  assert.match(body, /十环证书编号/);
  assert.match(body, /¥260\.00/);
  assert.match(body, /2 年：¥440\.00/);
  assert.match(body, /申通快递/);
  assert.match(body, /3 个工作日/);
  await shoot(page, 'channel-huanbao-zh');

  await page.goto(server.base + '/c/zgjg');
  const zgjg = await page.locator('main').innerText();
  assert.match(zgjg, /裕民东路3号/);
  assert.match(zgjg, /¥180\.00 \/年/);
  await shoot(page, 'channel-zgjg-zh');

  await page.goto(server.base + '/c/xct');
  assert.match(await page.locator('[data-testid=payee]').innerText(), /信城通/);
  assert.match(await page.locator('main').innerText(), /“城”字请勿写成“诚”/);

  // The switch: English, remembered, and back.
  await page.getByRole('link', { name: 'English' }).click();
  await page.waitForURL('**/c/xct');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.match(await page.locator('main').innerText(), /Bank transfer details/);
  await page.goto(server.base + '/');
  assert.match(await page.locator('h1').innerText(), /Digital certificate online hall/);
  await shoot(page, 'home-en');
  await page.getByRole('link', { name: '中文' }).click();
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');

  // Unknown channels are a 404 page, not an error dump.
  const missing = await page.goto(server.base + '/c/nope');
  assert.equal(missing.status(), 404);
  assert.match(await page.locator('[data-testid=message]').innerText(), /nope/);
  await context.close();
});

test('Accept-Language English picks English without the switch', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(server.base + '/login');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.match(await page.locator('h1').innerText(), /Log in/);
  await context.close();
});

test('phone-sized pages', async () => {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 375, height: 740 }, isMobile: true });
  const page = await context.newPage();
  await page.goto(server.base + '/');
  // Nothing wider than the screen.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page is ${overflow}px wider than the phone`);
  await shoot(page, 'home-phone');
  await page.goto(server.base + '/c/huanbao');
  await shoot(page, 'channel-phone');
  await page.goto(server.base + '/register');
  await shoot(page, 'register-phone');
  await context.close();
});

test('customer: register, profile, addresses, logout, wrong password, throttling, reset', async () => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();

  // Registration with the code from the outbox file.
  await page.goto(server.base + '/register');
  await page.locator('#phone').fill(PHONE);
  await page.getByRole('button', { name: '获取验证码' }).click();
  await page.locator('.notice').waitFor();
  assert.equal(await page.locator('#phone').inputValue(), PHONE);
  const { code } = await smsCode(server.dataDir, PHONE, 'register');
  await page.locator('#code').fill(code);
  await page.locator('#password').fill(PASSWORD);
  await page.locator('#password_confirm').fill(PASSWORD + 'x');
  await page.locator('#agree').check();
  await page.getByRole('button', { name: '注册', exact: true }).click();
  // A field-named error, nothing registered.
  assert.match(await page.locator('#password_confirm-error').innerText(), /两次输入的密码不一致/);
  assert.equal(await page.locator('#password_confirm').getAttribute('aria-invalid'), 'true');
  await shoot(page, 'register-error');
  await page.locator('#code').fill(code);
  await page.locator('#password').fill(PASSWORD);
  await page.locator('#password_confirm').fill(PASSWORD);
  await page.locator('#agree').check();
  await page.getByRole('button', { name: '注册', exact: true }).click();
  await page.waitForURL('**/me?notice=registered');
  assert.equal(await page.locator('[data-testid=who]').innerText(), '138****8000');
  await shoot(page, 'registered-profile');

  // Profile: a bad ID number is named, a good one saved.
  await page.locator('#name').fill('张三');
  await page.locator('#email').fill('zhangsan@example.cn');
  await page.locator('#id_number').fill('110105194912310021');
  await page.getByRole('button', { name: '保存' }).click();
  assert.ok(await page.locator('#id_number-error').isVisible());
  await shoot(page, 'profile-error');
  await page.locator('#id_number').fill('11010519491231002X');
  await page.getByRole('button', { name: '保存' }).click();
  await page.waitForURL('**/me?notice=profile_saved');
  assert.equal(await page.locator('#name').inputValue(), '张三');
  assert.equal(await page.locator('#id_number').inputValue(), '11010519491231002X');
  await shoot(page, 'profile-saved');

  // Address book: a bad phone is named; two addresses, the second made default.
  await page.getByRole('link', { name: '地址维护' }).first().click();
  await page.waitForURL('**/me/addresses');
  const fillAddress = async (recipient, phone, detail) => {
    await page.locator('#recipient').fill(recipient);
    await page.locator('#phone').fill(phone);
    await page.locator('#province').fill('北京市');
    await page.locator('#city').fill('北京市');
    await page.locator('#district').fill('西城区');
    await page.locator('#detail').fill(detail);
    await page.locator('#postal_code').fill('100032');
  };
  await fillAddress('张三', '12345', '裕民东路3号');
  await page.getByRole('button', { name: '保存' }).click();
  assert.ok(await page.locator('#phone-error').isVisible());
  assert.equal(await page.locator('#detail').inputValue(), '裕民东路3号');
  await fillAddress('张三', '13800138000', '裕民东路3号');
  await page.getByRole('button', { name: '保存' }).click();
  await page.waitForURL('**/me/addresses?notice=address_saved');
  await fillAddress('李四', '13900139000', '金融大街1号');
  await page.getByRole('button', { name: '保存' }).click();
  await page.waitForURL('**/me/addresses?notice=address_saved');
  assert.equal(await page.locator('[data-testid=address]').count(), 2);
  await page.locator('[data-testid=address]', { hasText: '李四' }).getByRole('button', { name: '设为默认' }).click();
  await page.waitForURL('**/me/addresses?notice=address_saved');
  assert.match(await page.locator('[data-testid=address].default').innerText(), /李四/);
  await shoot(page, 'addresses');

  // A second registration of the number does not tell the visitor the number is a
  // customer's: the page answers as for a new number, and the number's owner gets an SMS
  // saying an account exists (PIPL; issue 11, finding 4).
  const other = await browser.newContext({ locale: 'zh-CN' });
  const second = await other.newPage();
  await second.goto(server.base + '/register');
  await second.locator('#phone').fill(PHONE);
  await second.getByRole('button', { name: '获取验证码' }).click();
  assert.match(await second.locator('[role=status]').first().innerText(), /如该手机号已注册/);
  assert.equal(await second.locator('#phone-error').count(), 0);
  const notice = await smsMessages(server.dataDir, PHONE, 'account_exists');
  assert.match(notice[0].text, /该号码已注册/);
  assert.ok(await second.getByRole('link', { name: '无法登录？忘记密码' }).first().isVisible());
  await shoot(second, 'register-already-registered');
  await other.close();

  // Logout, then a wrong password.
  await page.getByRole('button', { name: '退出', exact: true }).click();
  await page.waitForURL('**/login?notice=logged_out');
  await page.locator('#phone').fill(PHONE);
  await page.locator('#password').fill('Wrong2026pass');
  await page.getByRole('button', { name: '登录', exact: true }).click();
  assert.match(await page.locator('#password-error').innerText(), /手机号或密码错误/);
  await shoot(page, 'login-wrong-password');

  // Throttling (on another number, so this account can still log in): five failures,
  // then the page says how long to wait.
  let message = '';
  for (let i = 0; i < 6; i++) {
    await page.locator('#phone').fill('13700137000');
    await page.locator('#password').fill('Wrong2026pass');
    await page.getByRole('button', { name: '登录', exact: true }).click();
    message = await page.locator('[role=alert]').innerText();
  }
  assert.match(message, /\d+分钟后再试/);
  await shoot(page, 'login-throttled');

  // Password reset by SMS, then login with the new password.
  await page.getByRole('link', { name: '无法登录？忘记密码' }).click();
  await page.locator('#phone').fill(PHONE);
  await page.getByRole('button', { name: '获取验证码' }).click();
  await page.locator('.notice').waitFor();
  const reset = await smsCode(server.dataDir, PHONE, 'reset_password');
  await page.locator('#code').fill(reset.code);
  await page.locator('#new_password').fill('Newer2026pass');
  await page.locator('#password_confirm').fill('Newer2026pass');
  await shoot(page, 'password-reset');
  await page.getByRole('button', { name: '重置密码' }).click();
  await page.waitForURL('**/login?notice=password_reset');
  await page.locator('#phone').fill(PHONE);
  await page.locator('#password').fill('Newer2026pass');
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.waitForURL('**/me');
  assert.equal(await page.locator('[data-testid=who]').innerText(), '138****8000');

  // Change password in 个人中心.
  await page.getByRole('link', { name: '修改密码' }).first().click();
  await page.locator('#old_password').fill('not-it-2026');
  await page.locator('#new_password').fill(PASSWORD);
  await page.locator('#password_confirm').fill(PASSWORD);
  await page.getByRole('button', { name: '保存' }).click();
  assert.ok(await page.locator('[role=alert]').isVisible());
  await page.locator('#old_password').fill('Newer2026pass');
  await page.locator('#new_password').fill(PASSWORD);
  await page.locator('#password_confirm').fill(PASSWORD);
  await page.getByRole('button', { name: '保存' }).click();
  await page.waitForURL('**/me?notice=password_changed');

  // A customer session does not open the console.
  await page.goto(server.base + '/console');
  await page.waitForURL('**/console/login**');
  await context.close();
});

test('keyboard only: skip link, focus order and a visible focus ring', async () => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(server.base + '/login');
  const focused = () => page.evaluate(() => {
    const e = document.activeElement;
    const style = getComputedStyle(e);
    return { tag: e.tagName, name: e.getAttribute('name') || e.id || e.textContent.trim(), outline: style.outlineStyle };
  });
  await page.keyboard.press('Tab');
  let now = await focused();
  assert.equal(now.tag, 'A');
  assert.equal(now.name, '跳到正文', 'the skip link comes first');
  assert.notEqual(now.outline, 'none', 'focus is visible');
  await page.keyboard.press('Enter');
  assert.equal((await focused()).name, 'main', 'the skip link lands on the content');
  // From the content, the form's fields come in reading order, then its button.
  const order = [];
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press('Tab');
    now = await focused();
    assert.notEqual(now.outline, 'none', `focus on ${now.name} is visible`);
    order.push(now.name);
  }
  assert.deepEqual(order, ['phone', 'password', '登录']);
  // And the form works from the keyboard: a wrong password comes back on the error.
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.type('13900139000');
  await page.keyboard.press('Tab');
  await page.keyboard.type('NotThePassword1');
  await page.keyboard.press('Enter');
  await page.waitForLoadState();
  assert.match(await page.locator('#form-error').innerText(), /手机号或密码错误/);
  await context.close();
});

test('the accessibility check finds what a page gets wrong', async () => {
  // So that a passing check on the real pages means something.
  const page = await browser.newPage();
  await page.setContent('<html><body><img src="x.png"><input type="text"><p style="color:#ddd;background:#fff">faint</p></body></html>');
  const problems = (await accessibilityProblems(page)).join('\n');
  for (const rule of ['html-has-lang', 'image-alt', 'label', 'color-contrast']) {
    assert.match(problems, new RegExp(`^${rule} `, 'm'), `${rule} not reported in:\n${problems}`);
  }
  await page.close();
});

test('a form posted without its CSRF token is refused', async () => {
  const response = await fetch(server.base + '/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `phone=${PHONE}&password=${PASSWORD}`,
    redirect: 'manual',
  });
  assert.equal(response.status, 403);
  assert.ok(!(response.headers.get('set-cookie') ?? '').includes('certhall_session'));
});

test('operators: console login, dashboard, operators, audit, channels, denied page', async () => {
  const adminPassword = readFileSync(join(server.dataDir, 'initial-admin-password'), 'utf8').trim();
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(server.base + '/console');
  await page.waitForURL('**/console/login**');
  await shoot(page, 'console-login');
  await page.locator('#username').fill('admin');
  await page.locator('#password').fill('wrong-password');
  await page.getByRole('button', { name: '登录' }).click();
  assert.ok(await page.locator('[role=alert]').isVisible());
  await page.locator('#password').fill(adminPassword);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/console$/);
  assert.equal(await page.locator('[data-testid=queue]').count(), 1); // admin: failed messages
  await shoot(page, 'console-dashboard-admin');

  // Create a reviewer; the password is shown once.
  await page.getByRole('link', { name: '操作员管理' }).click();
  await page.locator('#username').fill('Bad Name');
  await page.locator('#display_name').fill('审核员甲');
  await page.locator('form[action="/console/operators"] input[value=reviewer]').check();
  await page.getByRole('button', { name: '新增操作员' }).click();
  assert.ok(await page.locator('#username-error').isVisible());
  await page.locator('#username').fill('reviewer1');
  await page.locator('form[action="/console/operators"] input[value=reviewer]').check();
  await page.getByRole('button', { name: '新增操作员' }).click();
  const shown = await page.locator('[data-testid=new-password] code').innerText();
  assert.ok(shown.length >= 12);
  assert.ok(await page.locator('[data-testid=operator-reviewer1]').isVisible());
  await shoot(page, 'console-operators');

  // Edit a channel: a bad value is named, a good one saved and audited.
  await page.getByRole('link', { name: '业务渠道' }).click();
  await shoot(page, 'console-channels');
  await page.goto(server.base + '/console/channels/huanbao');
  const original = await page.locator('#definition').inputValue();
  await page.locator('#definition').fill(original.replace('shipping_promise_working_days = 3', 'shipping_promise_working_days = 0'));
  await page.getByRole('button', { name: '保存' }).click();
  assert.match(await page.locator('[role=alert]').innerText(), /shipping_promise_working_days/);
  await page.locator('#definition').fill(original.replace('shipping_promise_working_days = 3', 'shipping_promise_working_days = 4'));
  await page.getByRole('button', { name: '保存' }).click();
  await page.waitForURL('**/console/channels/huanbao?notice=channel_saved');
  assert.match(await page.locator('.notice').innerText(), /已保存/);
  await shoot(page, 'console-channel-edit');
  await page.goto(server.base + '/c/huanbao');
  assert.match(await page.locator('main').innerText(), /4 个工作日/);

  // The audit log, filtered.
  await page.goto(server.base + '/console/audit');
  await page.locator('#action').fill('channel.update');
  await page.getByRole('button', { name: '筛选' }).click();
  assert.equal(await page.locator('[data-testid=audit-row]').count(), 1);
  const row = await page.locator('[data-testid=audit-row]').innerText();
  assert.match(row, /operator:\d+:admin/);
  // Only what was changed is named (a browser's CRLF line ends change nothing).
  assert.match(row, /"changed":\["shipping_promise_working_days"\]/);
  await page.locator('#action').fill('');
  await page.locator('#object').fill('operator:');
  await page.getByRole('button', { name: '筛选' }).click();
  assert.ok((await page.locator('[data-testid=audit-row]').count()) >= 2);
  await shoot(page, 'console-audit');

  await page.goto(server.base + '/console/messages');
  assert.ok(await page.locator('[data-testid=no-failed]').isVisible());
  await shoot(page, 'console-messages');

  // Log out; the reviewer logs in and is denied the administrator's pages.
  await page.getByRole('button', { name: '退出' }).click();
  await page.waitForURL('**/console/login');
  await page.locator('#username').fill('reviewer1');
  await page.locator('#password').fill(shown);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/console$/);
  assert.match(await page.locator('main').innerText(), /待审核/);
  assert.equal(await page.getByRole('link', { name: '操作员管理' }).count(), 0);
  await shoot(page, 'console-dashboard-reviewer');
  const denied = await page.goto(server.base + '/console/operators');
  assert.equal(denied.status(), 403);
  assert.match(await page.locator('[data-testid=message]').innerText(), /管理员/);
  await shoot(page, 'console-denied');
  await context.close();
});
