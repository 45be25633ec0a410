// The web UI in real Chromium (Debian's, driven by playwright-core), in Chinese: a clinician
// writes an order through the guided form (a mistake first: the error shows next to its field and
// the text stays) and submits it; the tech-transfer office approves it from its review queue; a
// lab lead bids (milestones that do not add up are pointed out first); the clinician compares the
// bids and awards one; the lab delivers a milestone and the clinician accepts it. Then: a form
// without its CSRF token is refused, and the board in English and at phone width. Screenshots go to $ARTIFACTS; no request may leave the app's origin.
const { chromium } = require('playwright-core');
const assert = require('node:assert/strict');

const base = process.env.BASE_URL;
const out = process.env.ARTIFACTS;

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const foreign = [];
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(base) && !url.startsWith('data:')) foreign.push(url);
  });
  const shot = (name) => page.screenshot({ path: `${out}/${name}.png`, fullPage: true });
  try {
    await journey(page, shot);
  } catch (error) {
    await shot('failure').catch(() => {});
    console.error(`page at failure: ${page.url()}\n${(await page.textContent('body').catch(() => '')).slice(0, 2000)}`);
    throw error;
  }
  assert.deepEqual(foreign, [], 'no request leaves the app');
  await browser.close();
  console.log(`browser journey passed; screenshots in ${out}`);
}

async function signIn(page, email) {
  await page.goto(`${base}/signin`);
  await page.getByLabel('邮箱', { exact: true }).fill(email);
  await page.getByLabel('密码（至少 8 位）', { exact: true }).fill('yigong-demo-2026');
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(`${base}/`);
}

async function signOut(page) {
  await page.getByRole('button', { name: '退出' }).click();
  await page.waitForURL(`${base}/`);
}

async function journey(page, shot) {

  await page.goto(`${base}/`);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.equal((await page.textContent('h1')).trim(), '已发布的临床需求');
  assert.ok(await page.locator('.card').count() > 0, 'the board lists the demo orders');
  assert.ok(await page.evaluate(() => document.fonts.check('16px "Noto Sans CJK SC"')), 'a CJK font is installed');
  await shot('01-board-zh');

  await page.getByRole('link', { name: '登录', exact: true }).click();
  await shot('02-sign-in-zh');
  await signIn(page, 'zhang.min@hx-hospital.example');
  assert.ok(await page.getByText('张敏').isVisible(), 'signed in as the demo clinician');

  await page.getByRole('link', { name: '发布需求' }).click();
  const problem = '术后患者夜间离床跌倒，护士巡视间隔长，发现不及时。';
  await page.getByLabel('临床问题', { exact: true }).fill(problem);
  await page.getByLabel('现在怎么做，为什么不够好', { exact: true }).fill('每两小时巡视一次，床旁报警垫误报多，护士常把它关掉。');
  await page.getByLabel('怎样算解决了', { exact: true }).fill('离床 10 秒内提醒护士站，误报每床每晚少于一次。');
  await page.getByLabel('约束条件', { exact: true }).fill('普通病房，不能使用摄像头，患者无需佩戴设备。');
  await page.getByLabel('类别', { exact: true }).selectOption('medical_device');
  await page.getByLabel('预算下限（元）', { exact: true }).fill('100000');
  await page.getByLabel('预算上限（元）', { exact: true }).fill('300000');
  await page.getByRole('button', { name: '保存草稿' }).click();
  assert.ok(await page.locator('#title-error').isVisible(), 'the missing title is pointed out next to it');
  assert.equal(await page.getByLabel('临床问题', { exact: true }).inputValue(), problem, 'what was typed is kept');
  assert.equal(await page.getAttribute('#title', 'aria-invalid'), 'true');
  await shot('03-order-form-error-zh');

  await page.getByLabel('需求标题', { exact: true }).fill('术后夜间离床跌倒难以及时发现');
  await page.getByRole('button', { name: '保存草稿' }).click();
  await page.waitForURL(/\/orders\/[0-9a-f-]+\?saved=1$/);
  assert.equal((await page.textContent('h1')).trim(), '术后夜间离床跌倒难以及时发现');
  assert.ok(await page.getByText('草稿').first().isVisible(), 'the order is a draft');
  const orderUrl = page.url().replace(/\?.*$/, '');
  await shot('04-order-draft-zh');
  await page.getByRole('button', { name: '提交审核' }).click();
  await page.waitForURL(/done=1/);
  assert.ok(await page.getByText('审核中').first().isVisible(), 'submitted for review');
  await signOut(page);

  // The tech-transfer office approves it from its review queue.
  await signIn(page, 'tto@hx-hospital.example');
  await page.getByRole('link', { name: '审核队列' }).click();
  await shot('05-review-queue-zh');
  await page.getByRole('link', { name: '术后夜间离床跌倒难以及时发现' }).click();
  await page.getByRole('button', { name: '批准发布' }).click();
  await page.waitForURL(/done=1/);
  assert.ok(await page.getByText('招标中').first().isVisible(), 'published');
  await signOut(page);

  // A lab lead bids; the form does the checking.
  await signIn(page, 'he.lin@jjut.example');
  await page.goto(orderUrl);
  await page.getByRole('link', { name: '投标', exact: true }).click();
  await page.getByLabel('团队', { exact: true }).selectOption({ label: '可穿戴柔性传感实验室' });
  await page.getByLabel('技术方案', { exact: true }).fill('床垫下柔性压力阵列监测体位与离床意图，边缘计算判断，离床前 5 秒提醒护士站。');
  await page.getByLabel('报价（元，整数）', { exact: true }).fill('200000');
  await page.getByLabel('周期（周）', { exact: true }).fill('40');
  await page.getByLabel('里程碑 1', { exact: true }).fill('样机与算法');
  await page.getByLabel('第几周 1', { exact: true }).fill('16');
  await page.getByLabel('金额（元） 1', { exact: true }).fill('100000');
  await page.getByLabel('里程碑 2', { exact: true }).fill('病房试用');
  await page.getByLabel('第几周 2', { exact: true }).fill('36');
  await page.getByLabel('金额（元） 2', { exact: true }).fill('50000');
  await page.getByRole('button', { name: '提交投标' }).click();
  assert.ok(await page.locator('#milestones-error').isVisible(), 'milestones not adding up to the price are pointed out');
  assert.equal(await page.getByLabel('里程碑 2', { exact: true }).inputValue(), '病房试用', 'the rows are kept');
  await shot('06-bid-form-error-zh');
  await page.getByLabel('金额（元） 2', { exact: true }).fill('100000');
  await page.getByRole('button', { name: '提交投标' }).click();
  await page.waitForURL(/done=1/);
  await signOut(page);

  // The clinician compares the bids and awards one.
  await signIn(page, 'zhang.min@hx-hospital.example');
  await page.goto(orderUrl);
  assert.ok(await page.getByRole('heading', { name: '投标对比' }).isVisible());
  assert.ok(await page.getByRole('cell', { name: '200000' }).isVisible(), 'the price shows in the comparison');
  await shot('07-bids-compared-zh');
  await page.getByRole('button', { name: '授标：可穿戴柔性传感实验室' }).click();
  await page.waitForURL(/\/projects\//);
  const projectUrl = page.url().replace(/\?.*$/, '');
  await signOut(page);

  // The lab delivers the first milestone; the clinician accepts it.
  await signIn(page, 'he.lin@jjut.example');
  await page.goto(projectUrl);
  await page.getByLabel('交付说明').first().fill('样机两台及算法报告已交付。');
  await page.getByRole('button', { name: '提交交付' }).first().click();
  await page.waitForURL(/done=1/);
  await page.getByRole('link', { name: '我的投标' }).click();
  assert.ok(await page.getByText('中标').first().isVisible(), 'the lab sees its bid won');
  await shot('08-my-bids-zh');

  // The lab edits its profile and previews the concepts the matcher recognises before saving.
  await page.getByRole('link', { name: '我的团队' }).click();
  await page.getByRole('link', { name: '可穿戴柔性传感实验室' }).click();
  assert.ok(await page.locator('#concepts li').count() > 0, 'the profile shows recognised concepts');
  const keywords = page.getByLabel('关键词（用逗号分隔）', { exact: true });
  await keywords.fill(`${await keywords.inputValue()}，跌倒检测`);
  await page.getByRole('button', { name: '预览识别结果' }).click();
  assert.ok(await page.locator('#concepts li.core', { hasText: '跌倒检测' }).isVisible(), 'the new keyword is recognised');
  await shot('09-team-profile-zh');
  await page.getByRole('button', { name: '保存档案' }).click();
  await page.waitForURL(/\/edit\?done=1$/);
  assert.ok(await page.locator('#concepts li.core', { hasText: '跌倒检测' }).isVisible(), 'saved with the new concept');
  await signOut(page);
  await signIn(page, 'zhang.min@hx-hospital.example');
  await page.goto(projectUrl);
  await page.getByRole('button', { name: '验收通过' }).click();
  await page.waitForURL(/done=1/);
  assert.ok(await page.locator('.milestone-status', { hasText: '已验收' }).first().isVisible(), 'the milestone is accepted');
  await shot('10-project-zh');

  await page.getByRole('link', { name: '设置' }).click();
  await page.getByLabel('频率', { exact: true }).selectOption('weekly');
  await page.getByLabel('发送时间', { exact: true }).selectOption('9');
  await page.getByRole('button', { name: '保存' }).click();
  await page.waitForURL(/\/settings\?done=1$/);
  assert.equal(await page.getByLabel('频率', { exact: true }).inputValue(), 'weekly', 'the setting is kept');
  await shot('11-settings-zh');

  const refused = await page.evaluate(async () => (await fetch('/orders/new', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'title=%E6%B2%A1%E6%9C%89%E4%BB%A4%E7%89%8C',
  })).status);
  assert.equal(refused, 403, 'a form without its CSRF token is refused');

  await page.getByRole('link', { name: 'English' }).click();
  await page.waitForLoadState();
  await page.goto(`${base}/`);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal((await page.textContent('h1')).trim(), 'Published clinical needs');
  await shot('12-board-en');

  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto(`${base}/orders/new`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the form fits a phone (overflow ${overflow}px)`);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'A', 'the keyboard reaches the navigation');
  await shot('13-order-form-phone-en');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
