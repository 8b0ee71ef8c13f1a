// Dev-only browser check of reference/ui (puppeteer-core + Debian chromium):
//   npm install puppeteer-core@22 && node ui_check.js http://127.0.0.1:18009 <login> <password> <own mail address>
const puppeteer = require("puppeteer-core");
const [base, user, password, to] = process.argv.slice(2);
(async () => {
  const browser = await puppeteer.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--headless=new"] });
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.log("pageerror", e.message));
  await page.goto(`${base}/appsuite/`);
  await page.waitForSelector("#io-ox-login-screen");
  await page.type("#io-ox-login-username", user);
  await page.type("#io-ox-login-password", "wrong");
  await page.click("#io-ox-login-button");
  await page.waitForSelector("#io-ox-login-feedback .alert");
  console.log("feedback:", await page.$eval("#io-ox-login-feedback .alert", (e) => e.textContent));
  await page.$eval("#io-ox-login-password", (e) => (e.value = ""));
  await page.type("#io-ox-login-password", password);
  await page.click("#io-ox-login-store-box");
  await page.click("#io-ox-login-button");
  await page.waitForSelector("#io-ox-core:not([hidden])");
  await page.waitForSelector("#io-ox-launcher");
  console.log("core visible");
  await page.click('[data-action="compose"]');
  await page.waitForSelector(".io-ox-mail-compose-window:not([hidden])");
  await page.type('[placeholder="To"]', to);
  await page.type('[placeholder="Subject"]', "UI test mail");
  await page.type(".io-ox-mail-compose-window textarea", "Hello from the browser");
  await page.click('.btn[data-action="send"]');
  await page.waitForSelector(".io-ox-mail-compose-window[hidden]");
  console.log("sent");
  for (let i = 0; i < 20; i++) {
    await page.click('[data-action="refresh"]');
    await new Promise((r) => setTimeout(r, 300));
    const subjects = await page.$$eval('[data-ref="io.ox/mail/listview"] .list-view li.list-item .subject', (els) => els.map((e) => e.textContent));
    if (subjects.includes("UI test mail")) { console.log("inbox has it:", subjects.length, "items"); break; }
  }
  await page.click(".list-view li.list-item");
  await page.waitForSelector(".rightside.mail-detail-pane .mail-detail .body");
  console.log("detail:", await page.$eval(".rightside.mail-detail-pane .body", (e) => e.textContent));
  const page2 = await browser.newPage();
  await page2.goto(`${base}/appsuite/`);
  await page2.waitForSelector("#io-ox-core:not([hidden])", { timeout: 5000 });
  console.log("autologin in a second tab works");
  await browser.close();
})().catch((e) => { console.error("FAILED", e.message); process.exit(1); });
