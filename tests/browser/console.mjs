// The web console (/console) in headless Chromium: sign in with a password and a TOTP code
// (computed here, RFC 6238), walk every page of the navigation (the dashboard also with an
// organization picked through its form), the Organizations pages (change a member's
// role, send an invitation and withdraw it, the removal's confirmation page), the Inventory
// pages (upload a scan through the file input, add an access rule and confirm its deletion,
// sort and filter the asset table, an asset's services), end another session after its
// confirmation page, sign out; axe-core on every page (no WCAG 2.x A or AA violation),
// no request leaves the server, no Content-Security-Policy violation; screenshots of each
// page.
//
//   AUTHDB_OUTBOX=DATA_DIR/outbox node tests/browser/console.mjs BASE_URL OUTPUT_DIR
//
// AUTHDB_OUTBOX is where the server's `file` mail transport writes (for the invitation
// token of the member the Organizations pages act on); with `mail.transport = none` the
// token comes in the API's answer instead.
import { createHmac } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium, request } from "playwright-core";

const [base, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error("usage: console.mjs BASE_URL OUTPUT_DIR");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const PASSWORD = "Console-Secret-1";
const username = `console${Date.now() % 100000}`;

/** RFC 6238 (HMAC-SHA1, 30 s, 6 digits) over a base32 secret, `offset` steps from now. */
function totp(secret, offset = 0) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of secret.replace(/=+$/, "").toUpperCase()) {
    bits += alphabet.indexOf(char).toString(2).padStart(5, "0");
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + offset));
  const mac = createHmac("sha1", key).update(counter).digest();
  const start = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(start) & 0x7fffffff) % 1_000_000;
  return code.toString().padStart(6, "0");
}

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

/** Runs axe-core on the current page: WCAG 2.0/2.1/2.2 levels A and AA. */
async function accessible(page, name) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } }),
  );
  for (const violation of results.violations) {
    console.log(`  ${name}: ${violation.id} (${violation.impact}): ${violation.help}`);
    for (const node of violation.nodes.slice(0, 3)) console.log(`    ${node.target.join(" ")}`);
  }
  check(results.violations.length === 0, `${name}: no WCAG A/AA violation (axe-core, ${results.passes.length} rules passed)`);
}

/** The accept token of the invitation mailed to `email` (the `file` transport's outbox). */
function mailedInvitationToken(email) {
  const dir = process.env.AUTHDB_OUTBOX;
  if (!dir) return undefined;
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".eml"))) {
    const raw = readFileSync(`${dir}/${file}`, "utf8").replaceAll("\r\n", "\n");
    if (!raw.includes(email)) continue;
    const quoted = raw.replace(/=\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    const parts = [quoted, ...raw.split(/\n\n/).map((part) => Buffer.from(part.replace(/\s+/g, ""), "base64").toString("latin1"))];
    for (const text of parts) {
      const found = text.match(/accept-invitation\?token=([A-Za-z0-9_.~-]+)/);
      if (found) return found[1];
    }
  }
  return undefined;
}

async function visit(page, name) {
  await accessible(page, name);
  await page.screenshot({ path: `${outDir}/${name}.png`, fullPage: true });
}

try {
  // An account with a TOTP factor, and a second session (another device) to end later.
  const api = await request.newContext();
  const registered = await api.post(`${base}/api/v1/auth/register`, {
    data: { email: `${username}@example.com`, username, password: PASSWORD },
  });
  check(registered.status() === 201, `registered ${username}`);
  const { access_token: token } = await registered.json();
  const auth = { Authorization: `Bearer ${token}` };
  const started = await api.post(`${base}/api/v1/auth/mfa/totp`, { headers: auth, data: { password: PASSWORD } });
  const { secret } = await started.json();
  const confirmed = await api.post(`${base}/api/v1/auth/mfa/totp/confirm`, {
    headers: auth,
    data: { code: totp(secret) },
  });
  check(confirmed.status() === 200, "TOTP enrolled through the API");
  // An organization with an asset and open services, for the dashboard's sections.
  const created = await api.post(`${base}/api/v1/organizations`, {
    headers: auth,
    data: { name: "Console Org", slug: `console-org-${Date.now() % 100000}` },
  });
  check(created.status() === 201, "an organization created through the API");
  const { id: organization } = await created.json();
  const asset = await api.post(`${base}/api/v1/organizations/${organization}/assets`, {
    headers: auth,
    data: { ip_address: "10.0.0.1", asset_type: "server", criticality: "high" },
  });
  const { id: assetId } = await asset.json();
  for (const port of [22, 443]) {
    const service = await api.post(`${base}/api/v1/organizations/${organization}/assets/${assetId}/services`, {
      headers: auth,
      data: { port, protocol: "tcp", state: "open" },
    });
    check(service.status() === 201, `an open service on ${port}`);
  }

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const foreign = [];
  const cspViolations = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(base) && !request.url().startsWith("data:")) foreign.push(request.url());
  });
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });

  // Signed out: the console sends us to the sign-in page.
  await page.goto(`${base}/console`);
  check(page.url() === `${base}/console/sign-in`, `/console redirects to the sign-in page (${page.url()})`);
  await visit(page, "sign-in");

  // A wrong password shows the problem's title and detail.
  await page.getByLabel("Email or username").fill(username);
  await page.getByLabel("Password").fill("Wrong-Secret-1");
  await page.getByRole("button", { name: "Sign in" }).click();
  check(await page.getByRole("alert").innerText().then((t) => t.includes("Invalid credentials")), "a wrong password is shown as a problem");
  await visit(page, "sign-in-error");

  await page.getByLabel("Email or username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  check(page.url() === `${base}/console/sign-in/second-factor`, "the password leads to the second step");
  await visit(page, "second-factor");
  // The enrolment spent this step's code: the next step's, within the allowed drift.
  await page.getByLabel("Authentication code").fill(totp(secret, 1));
  await page.getByRole("button", { name: "Continue" }).click();
  check(page.url() === `${base}/console/me`, `signed in with the code (${page.url()})`);

  const cookies = await context.cookies();
  for (const name of ["authdb_console_access", "authdb_console_refresh"]) {
    const cookie = cookies.find((c) => c.name === name);
    check(cookie && cookie.httpOnly && cookie.sameSite === "Strict" && cookie.path === "/console", `${name}: HttpOnly, SameSite=Strict, Path=/console`);
  }

  // Every page of the navigation.
  const links = await page.locator('nav[aria-label="Console"] a').evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  check(links.length >= 5, `the navigation lists ${links.length} pages`);
  for (const link of links) {
    await page.goto(`${base}${link}`);
    check(page.url() === `${base}${link}`, `${link} renders`);
    await visit(page, link.replace(/^\/console\//, "").replaceAll("/", "-"));
  }

  // The dashboard of the organization, picked with its GET form (no script).
  await page.goto(`${base}/console/dashboard`);
  await page.getByLabel("Show the dashboard of").selectOption(organization);
  await page.getByRole("button", { name: "Show" }).click();
  check(page.url() === `${base}/console/dashboard?organization=${organization}`, `the picker shows the organization (${page.url()})`);
  const charts = await page.locator('svg[role="img"]').count();
  check(charts === 7, `the owner's dashboard draws 7 charts (${charts})`);
  await page.locator("details summary").first().click();
  await visit(page, "dashboard-organization");

  // Organizations: a second member (invited and accepted through the API), whose role the
  // owner changes on the members page; an invitation sent and withdrawn on the
  // invitations page; the removal's confirmation page.
  const memberName = `${username}m`;
  const memberEmail = `${memberName}@example.com`;
  const joining = await api.post(`${base}/api/v1/auth/register`, {
    data: { email: memberEmail, username: memberName, password: PASSWORD },
  });
  check(joining.status() === 201, `registered ${memberName}`);
  const { access_token: memberToken } = await joining.json();
  const invitation = await api.post(`${base}/api/v1/organizations/${organization}/invitations`, {
    headers: auth,
    data: { email: memberEmail, role: "viewer" },
  });
  check(invitation.status() === 201, `${memberName} invited through the API (${invitation.status()})`);
  let inviteToken = (await invitation.json()).token;
  // The mail is written by the outbox's relay, shortly after the answer.
  for (let tries = 0; !inviteToken && tries < 50; tries++) {
    inviteToken = mailedInvitationToken(memberEmail);
    if (!inviteToken) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  check(Boolean(inviteToken), "the invitation's token (the answer, or the mail in AUTHDB_OUTBOX)");
  const accepted = await api.post(`${base}/api/v1/invitations/accept`, {
    headers: { Authorization: `Bearer ${memberToken}` },
    data: { token: inviteToken },
  });
  check(accepted.status() === 200, `${memberName} accepted the invitation (${accepted.status()})`);

  const members = `${base}/console/organizations/${organization}/members`;
  await page.goto(`${base}/console/organizations`);
  await page.getByRole("link", { name: "Members of Console Org" }).click();
  check(page.url() === members, `the members page of the organization (${page.url()})`);
  await visit(page, "organization-members");
  await page.getByLabel(`The role of ${memberName}`).selectOption("member");
  await page.getByRole("button", { name: `Change the role of ${memberName}` }).click();
  check(page.url() === members, "back on the members page after changing a role");
  const shown = await page.getByLabel(`The role of ${memberName}`).inputValue();
  check(shown === "member", `the new role is shown (${shown})`);
  const listed = await api.get(`${base}/api/v1/organizations/${organization}/members`, { headers: auth });
  const role = (await listed.json()).items.find((item) => item.username === memberName)?.role;
  check(role === "member", `and the API sees it (${role})`);

  await page.getByRole("link", { name: `Remove ${memberName}` }).click();
  await visit(page, "organization-member-remove");
  await page.getByRole("link", { name: "Cancel" }).click();
  check(page.url() === members, "Cancel goes back to the members");

  await page.getByRole("link", { name: "Roles", exact: true }).click();
  check(page.url() === `${base}/console/organizations/${organization}/roles`, "the roles page");
  await visit(page, "organization-roles");

  const inviteeEmail = `invitee${Date.now() % 100000}@example.com`;
  await page.getByRole("link", { name: "Invitations", exact: true }).click();
  await visit(page, "organization-invitations");
  await page.getByLabel("Email address").fill(inviteeEmail);
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Send the invitation" }).click();
  check((await page.locator("main table").innerText()).includes(inviteeEmail), "the invitation sent is listed");
  await visit(page, "organization-invitations-sent");
  await page.getByRole("link", { name: `Withdraw the invitation of ${inviteeEmail}` }).click();
  await visit(page, "organization-invitation-withdraw");
  await page.getByRole("button", { name: "Withdraw the invitation" }).click();
  check(!(await page.locator("main").innerText()).includes(inviteeEmail), "the invitation is withdrawn");

  // Inventory: the organization's networks, a scan uploaded through the file input of a
  // network's scans page and its summary, an access rule added and its deletion confirmed,
  // the asset table sorted by a heading and filtered with its GET form, an asset's services.
  const lan = await api.post(`${base}/api/v1/organizations/${organization}/networks`, {
    headers: auth,
    data: { name: "Console LAN", cidrs: ["10.1.0.0/24"] },
  });
  check(lan.status() === 201, `a network created through the API (${lan.status()})`);
  const { id: networkId } = await lan.json();
  const inventory = `${base}/console/organizations/${organization}`;
  await page.goto(`${base}/console/inventory`);
  await page.getByRole("link", { name: "Networks of Console Org" }).click();
  check(page.url() === `${inventory}/networks`, `the networks page (${page.url()})`);
  await visit(page, "inventory-networks");
  await page.getByRole("link", { name: "Scans of Console LAN" }).click();
  check(page.url() === `${inventory}/networks/${networkId}/scans`, `the scans page (${page.url()})`);
  await visit(page, "inventory-scans");
  const scanFile = JSON.stringify({
    hosts: [
      { ip: "10.1.0.5", status: "up", hostname: "printer", services: [{ port: 631, protocol: "tcp", state: "open", service_name: "ipp" }] },
      { ip: "10.1.0.6", status: "up" },
    ],
  });
  await page.getByLabel("Scan file (JSON or nmap XML)").setInputFiles({
    name: "scan.json",
    mimeType: "application/json",
    buffer: Buffer.from(scanFile),
  });
  await page.getByRole("button", { name: "Import the scan" }).click();
  check(/\/scans\/[0-9a-f-]+$/.test(page.url()), `the upload shows the scan's page (${page.url()})`);
  const summary = (await page.locator("dl.facts").innerText()).replace(/\s+/g, " ");
  check(/Assets created 2 /.test(summary) && /Services created 1 /.test(summary), `the import summary (${summary})`);
  await visit(page, "inventory-scan-summary");
  const imported = await api.get(`${base}/api/v1/organizations/${organization}/assets?network_id=${networkId}`, { headers: auth });
  check((await imported.json()).total === 2, "the API lists the imported assets");
  await page.getByRole("link", { name: "Access rules", exact: true }).click();
  await page.getByLabel("List", { exact: true }).selectOption("deny");
  await page.getByLabel("Target (an address, a CIDR block or a MAC address)").fill("10.1.0.66");
  await page.getByRole("button", { name: "Add the rule" }).click();
  check((await page.locator("main table").innerText()).includes("10.1.0.66"), "the access rule added is listed");
  await visit(page, "inventory-access-rules");
  await page.getByRole("link", { name: "Delete the rule for 10.1.0.66" }).click();
  await visit(page, "inventory-access-rule-delete");
  await page.getByRole("button", { name: "Delete the rule" }).click();
  check(!(await page.locator("main").innerText()).includes("10.1.0.66"), "the access rule is deleted");
  await page.goto(`${inventory}/assets`);
  await visit(page, "inventory-assets");
  await page.getByRole("link", { name: /^Host name/ }).click();
  check(page.url() === `${inventory}/assets?sort=hostname`, `sorted by a heading (${page.url()})`);
  const firstRow = await page.locator("main table tbody tr th").first().innerText();
  check(firstRow === "10.1.0.5", `the named host first (${firstRow})`);
  await page.getByLabel("Network", { exact: true }).selectOption(networkId);
  await page.getByRole("button", { name: "Filter" }).click();
  check(page.url().includes(`network_id=${networkId}`) && page.url().includes("sort=hostname"), `filtered, still sorted (${page.url()})`);
  const shownRows = await page.locator("main table tbody tr").count();
  check(shownRows === 2, `the network's two assets (${shownRows})`);
  await visit(page, "inventory-assets-filtered");
  await page.getByRole("link", { name: "10.1.0.5", exact: true }).click();
  check((await page.locator("main table").innerText()).includes("631"), "the asset's services are listed");
  await visit(page, "inventory-asset");

  // Confirmation pages (destructive actions ask first).
  await page.goto(`${base}/console/me/totp/remove`);
  await visit(page, "me-totp-remove");
  await page.goto(`${base}/console/me/sessions/end-all`);
  await visit(page, "me-sessions-end-all");
  await page.getByRole("link", { name: "Cancel" }).click();
  check(page.url() === `${base}/console/me/sessions`, "Cancel goes back to the sessions");

  // End the other device's session.
  await page.locator('table a[href$="/end"]').first().click();
  check(/\/console\/me\/sessions\/[0-9a-f-]+\/end$/.test(page.url()), "ending a session asks for confirmation");
  await visit(page, "me-sessions-end-one");
  await page.getByRole("button", { name: "End the session" }).click();
  check(page.url() === `${base}/console/me/sessions`, "back on the sessions page");
  const me = await api.get(`${base}/api/v1/auth/me`, { headers: auth });
  check(me.status() === 401, `the ended session's token is refused (${me.status()})`);
  await page.screenshot({ path: `${outDir}/me-sessions-after.png`, fullPage: true });

  // Sign out.
  await page.getByRole("button", { name: "Sign out" }).click();
  check(page.url() === `${base}/console/sign-in`, "signing out returns to the sign-in page");
  await page.goto(`${base}/console/me`);
  check(page.url() === `${base}/console/sign-in`, "and the console session is over");

  check(foreign.length === 0, `no request left the server ${foreign.join(" ")}`);
  check(cspViolations.length === 0, `no Content-Security-Policy violation ${cspViolations.join(" ")}`);
  await api.dispose();
} catch (error) {
  console.error(error);
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
