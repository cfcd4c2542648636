// Loads the /docs page of a running authdb in headless Chromium, checks that the
// operations render, signs in through the Authorize dialog (bearer token; and the OAuth2
// password flow when the server has the token endpoint), runs GET /api/v1/auth/me from
// the page, and keeps screenshots.
//
//   node tests/browser/docs.mjs BASE_URL ACCESS_TOKEN USERNAME PASSWORD OUTPUT_DIR
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const [base, token, username, password, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error("usage: docs.mjs BASE_URL ACCESS_TOKEN USERNAME PASSWORD OUTPUT_DIR");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
let failed = false;
const check = (ok, message) => {
  console.log(`${ok ? "ok" : "FAILED"}: ${message}`);
  if (!ok) failed = true;
};

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1600 } });
  const page = await context.newPage();
  const foreign = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(base) && !request.url().startsWith("data:")) foreign.push(request.url());
  });

  await page.goto(`${base}/docs/`, { waitUntil: "networkidle" });
  await page.waitForSelector(".opblock", { timeout: 20000 });
  const operations = await page.locator(".opblock").count();
  check(operations >= 8, `the page renders ${operations} operations`);
  check((await page.locator(".information-container .title").innerText()).includes("authdb"), "the title is shown");
  await page.screenshot({ path: `${outDir}/docs.png`, fullPage: false });

  // Authorize with the bearer token.
  await page.locator(".auth-wrapper .authorize").click();
  const bearer = page.locator(".auth-container").filter({ hasText: "bearer" }).first();
  await bearer.locator("input").fill(token);
  await bearer.locator("button.authorize").click();
  check(
    await bearer.getByRole("button", { name: /logout|remove authorization/i }).isVisible(),
    "the Authorize dialog accepts the bearer token",
  );

  // The OAuth2 password flow, if the token endpoint exists on this server.
  const tokenEndpoint = await page.request.post(`${base}/api/v1/auth/token`, { form: { grant_type: "password" } });
  if (tokenEndpoint.status() !== 404) {
    const oauth = page.locator(".auth-container").filter({ hasText: "oauth2" }).first();
    await oauth.locator("input#oauth_username").fill(username);
    await oauth.locator("input#oauth_password").fill(password);
    await oauth.locator("button.authorize").click();
    await page.waitForTimeout(1500);
    check(
      await oauth.getByRole("button", { name: /logout|remove authorization/i }).isVisible(),
      "the OAuth2 password flow signs in",
    );
  } else {
    console.log("skipped: the OAuth2 password flow (no /api/v1/auth/token on this server)");
  }
  await page.locator(".dialog-ux .modal-ux-header .close-modal").click();
  await page.screenshot({ path: `${outDir}/docs-authorized.png` });

  // Call GET /api/v1/auth/me from the page, with the token it was given.
  const me = page.locator(".opblock-get").filter({ has: page.locator('[data-path="/api/v1/auth/me"]') }).first();
  await me.locator(".opblock-summary").click();
  // Try-it-out starts enabled (the page's configuration); switch it on if it is not.
  const tryOut = me.locator("button.try-out__btn");
  if ((await tryOut.innerText()).trim().toLowerCase() === "try it out") await tryOut.click();
  await me.locator("button.execute").click();
  const status = me.locator(".live-responses-table tr.response .response-col_status").first();
  await status.waitFor({ timeout: 10000 });
  const code = (await status.innerText()).trim();
  check(code === "200", `GET /api/v1/auth/me from the page answers ${code}`);
  const body = await me.locator(".live-responses-table tr.response .response-col_description").first().innerText();
  check(body.includes(username), "the answer names the signed-in user");
  await me.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${outDir}/docs-try-it-out.png`, fullPage: true });

  check(foreign.length === 0, `no request leaves the server (${foreign.join(", ") || "none"})`);
} catch (error) {
  console.error(error);
  const pages = browser.contexts().flatMap((context) => context.pages());
  if (pages.length > 0) await pages[0].screenshot({ path: `${outDir}/docs-failure.png`, fullPage: true });
  failed = true;
} finally {
  await browser.close();
}
console.log(`screenshots in ${outDir}`);
process.exit(failed ? 1 : 0);
