// The web console (/console) in headless Chromium: sign in with a password and a TOTP code
// (computed here, RFC 6238), walk every page of the navigation (the dashboard also with an
// organization picked through its form), the Organizations pages (change a member's
// role, send an invitation and withdraw it, the removal's confirmation page, the audit log
// filtered once, the members searched), the Inventory pages (upload a scan through the file
// input, add an access rule and confirm its deletion, sort and filter the asset table, an
// asset's services), second factors and passkeys (a new account enrols TOTP through the
// console's forms, registers a passkey with Chromium's virtual authenticator on
// http://localhost:PORT, signs in with it alone and as the second step), the Platform pages
// as a superuser (deactivate and reactivate a user, edit a licence, suspend and unsuspend an
// organization, the outbox), end another session after its confirmation page, sign out;
// axe-core on every page (no WCAG 2.x A or AA violation), no request leaves the server, no
// Content-Security-Policy violation; screenshots of each
// page.
//
//   AUTHDB_OUTBOX=DATA_DIR/outbox AUTHDB_SUPERUSER=NAME AUTHDB_SUPERUSER_PASSWORD=... \
//     node tests/browser/console.mjs BASE_URL OUTPUT_DIR
//
// AUTHDB_OUTBOX is where the server's `file` mail transport writes (for the invitation
// token of the member the Organizations pages act on); with `mail.transport = none` the
// token comes in the API's answer instead. AUTHDB_SUPERUSER names a superuser (made with
// `authdb create-superuser`) and AUTHDB_SUPERUSER_PASSWORD is its password, for the Platform
// pages.
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

  // Audit log: the organization's events (the role change and the invitations above among
  // them), filtered once through its GET form; and the members page searched through its own.
  const audit = `${base}/console/organizations/${organization}/audit`;
  await page.getByRole("link", { name: "Audit log", exact: true }).click();
  check(page.url() === audit, `the audit log page (${page.url()})`);
  check((await page.locator("main table").innerText()).includes("invitation.revoked"), "the withdrawn invitation is in the log");
  await visit(page, "organization-audit");
  await page.getByLabel("Action", { exact: true }).fill("member.");
  await page.getByLabel("Outcome", { exact: true }).selectOption("success");
  await page.getByRole("button", { name: "Filter" }).click();
  check(page.url().startsWith(`${audit}?`) && page.url().includes("action=member."), `the filters are in the address (${page.url()})`);
  const filtered = await page.locator("main tbody tr td:nth-child(3)").allInnerTexts();
  check(filtered.length > 0 && filtered.every((action) => action.startsWith("member.")), `only member.* events (${filtered.join(", ")})`);
  await visit(page, "organization-audit-filtered");
  await page.goto(members);
  await page.getByLabel("Search by email or username").fill(memberName);
  await page.getByRole("button", { name: "Search" }).click();
  const found = await page.locator("main tbody th[scope=row]").allInnerTexts();
  check(found.length === 1 && found[0].startsWith(memberName), `the search finds ${memberName} alone (${found.join(", ")})`);
  await visit(page, "organization-members-search");

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

  // Second factors and passkeys: a new account enrols an authenticator app through the
  // console's forms (the secret read from the page, the recovery codes shown), registers a
  // passkey on the security page with Chromium's virtual authenticator (the CDP WebAuthn
  // domain, as tests/browser/passkeys.mjs), signs out, signs in with the passkey, then
  // with the password and the passkey as the second step. WebAuthn needs a domain, so this
  // block runs in its own browser context on http://localhost:PORT (the relying party of
  // the default configuration).
  {
    const local = base.replace("//127.0.0.1:", "//localhost:");
    const owner = `${username}f`;
    const signedUp = await api.post(`${base}/api/v1/auth/register`, {
      data: { email: `${owner}@example.com`, username: owner, password: PASSWORD },
    });
    check(signedUp.status() === 201, `registered ${owner}`);
    const factors = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const tab = await factors.newPage();
    const problems = [];
    tab.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy/i.test(message.text())) problems.push(message.text());
    });
    tab.on("request", (request) => {
      if (!request.url().startsWith(local) && !request.url().startsWith("data:")) problems.push(request.url());
    });
    const cdp = await factors.newCDPSession(tab);
    await cdp.send("WebAuthn.enable", { enableUI: false });
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: {
        protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true,
        isUserVerified: true, automaticPresenceSimulation: true,
      },
    });
    const passwordSignIn = async () => {
      await tab.goto(`${local}/console/sign-in`);
      await tab.getByLabel("Email or username").fill(owner);
      await tab.getByLabel("Password").fill(PASSWORD);
      await tab.getByRole("button", { name: "Sign in", exact: true }).click();
    };
    await passwordSignIn();
    check(tab.url() === `${local}/console/me`, `${owner} signed in with the password (${tab.url()})`);

    await tab.goto(`${local}/console/me/security`);
    await tab.getByRole("link", { name: "Set up an authenticator app" }).click();
    await visit(tab, "me-totp-enrol");
    await tab.getByLabel("Password").fill(PASSWORD);
    await tab.getByRole("button", { name: "Continue" }).click();
    const factorSecret = (await tab.locator("#totp-secret").innerText()).trim();
    check(/^[A-Z2-7]{32}$/.test(factorSecret), "the enrolment shows the secret as text");
    check(await tab.getByRole("img", { name: /QR code/ }).isVisible(), "and its QR code");
    await visit(tab, "me-totp-secret");
    await tab.getByLabel("Code from the app").fill(totp(factorSecret));
    await tab.getByRole("button", { name: "Turn on" }).click();
    const codes = await tab.locator("#recovery-codes li").count();
    check(codes === 10, `the first code turns it on and shows 10 recovery codes (${codes})`);
    await visit(tab, "me-totp-recovery-codes");

    await tab.goto(`${local}/console/me/security`);
    await tab.getByLabel("Name of the new passkey").fill("virtual key");
    await tab.getByRole("button", { name: "Register a passkey" }).click();
    await tab.getByRole("cell", { name: "virtual key", exact: true }).waitFor({ timeout: 10000 });
    check(true, "a passkey registered on the security page is listed");
    await visit(tab, "me-security-passkey");

    await tab.getByRole("button", { name: "Sign out" }).click();
    check(tab.url() === `${local}/console/sign-in`, "signed out");
    await tab.getByRole("button", { name: "Use a passkey" }).click();
    await tab.waitForURL(`${local}/console/me`, { timeout: 10000 });
    check(tab.url() === `${local}/console/me`, "signed in with the passkey alone");

    await tab.getByRole("button", { name: "Sign out" }).click();
    await passwordSignIn();
    check(tab.url() === `${local}/console/sign-in/second-factor`, "the password now leads to the second step");
    await visit(tab, "second-factor-passkey");
    await tab.getByRole("button", { name: "Use a passkey" }).click();
    await tab.waitForURL(`${local}/console/me`, { timeout: 10000 });
    check(tab.url() === `${local}/console/me`, "the passkey finishes the password sign-in");
    check(problems.length === 0, `no CSP violation, no request elsewhere ${problems.join(" ")}`);
    await factors.close();
  }

  // Platform: a superuser (made by `authdb create-superuser` in scripts/api-checks.sh and
  // named by AUTHDB_SUPERUSER / AUTHDB_SUPERUSER_PASSWORD), in a browser of its own, walks
  // the Platform pages (the walking user, no superuser, sees none of them), searches the
  // users, deactivates the second member (the API then refuses its token) and reactivates
  // it, opens the reset of second factors, edits the licence of the walking user's
  // organization, and suspends it (the API then refuses its owner) and unsuspends it.
  {
    const rootName = process.env.AUTHDB_SUPERUSER;
    const rootPassword = process.env.AUTHDB_SUPERUSER_PASSWORD;
    check(Boolean(rootName && rootPassword), "AUTHDB_SUPERUSER and AUTHDB_SUPERUSER_PASSWORD name a superuser");
    const ownLinks = await page.locator('nav[aria-label="Console"] a[href^="/console/platform/"]').count();
    check(ownLinks === 0, `a user who is not a superuser sees no Platform section (${ownLinks} links)`);
    const rootContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const root = await rootContext.newPage();
    root.on("request", (request) => {
      if (!request.url().startsWith(base) && !request.url().startsWith("data:")) foreign.push(request.url());
    });
    root.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await root.goto(`${base}/console/sign-in`);
    await root.getByLabel("Email or username").fill(rootName ?? "");
    await root.getByLabel("Password").fill(rootPassword ?? "");
    await root.getByRole("button", { name: "Sign in" }).click();
    check(root.url() === `${base}/console/me`, `the superuser signed in (${root.url()})`);
    const platform = await root.locator('nav[aria-label="Console"] a[href^="/console/platform/"]').evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    check(platform.length === 3, `the Platform section lists ${platform.length} pages`);
    for (const link of platform) {
      await root.goto(`${base}${link}`);
      check(root.url() === `${base}${link}`, `${link} renders`);
      await visit(root, link.replace(/^\/console\//, "").replaceAll("/", "-"));
    }
    const memberAuth = { Authorization: `Bearer ${memberToken}` };

    // Users: search, a user's page, deactivate and reactivate the member, the reset's confirmation.
    await root.goto(`${base}/console/platform/users`);
    await root.getByLabel("Email or username contains").fill(memberName);
    await root.getByRole("button", { name: "Search" }).click();
    check(root.url().includes(`q=${memberName}`), `the search is in the address (${root.url()})`);
    const found = await root.locator("main table tbody tr").count();
    check(found === 1, `the search finds ${memberName} alone (${found} rows)`);
    await visit(root, "platform-users-search");
    await root.getByRole("link", { name: memberName, exact: true }).click();
    await visit(root, "platform-user");
    await root.getByRole("link", { name: `Deactivate ${memberName}` }).click();
    await visit(root, "platform-user-deactivate");
    await root.getByRole("button", { name: "Deactivate the account" }).click();
    check((await root.getByRole("status").innerText()).includes("deactivated"), "the account is deactivated");
    const refused = await api.get(`${base}/api/v1/auth/me`, { headers: memberAuth });
    check(refused.status() === 401, `the API refuses the deactivated member's token (${refused.status()})`);
    await root.getByRole("link", { name: `Reactivate ${memberName}` }).click();
    await root.getByRole("button", { name: "Reactivate the account" }).click();
    const back = await api.post(`${base}/api/v1/auth/login`, { data: { login: memberName, password: PASSWORD } });
    check(back.status() === 200, `the reactivated member signs in again (${back.status()})`);
    await root.getByRole("link", { name: `Reset second factors of ${memberName}` }).click();
    await visit(root, "platform-user-reset-factors");
    await root.getByRole("link", { name: "Cancel" }).click();

    // Organizations: the licence form, then suspend and unsuspend, seen through the API.
    await root.goto(`${base}/console/platform/organizations`);
    await root.getByLabel("Name or slug contains").fill("Console Org");
    await root.getByRole("button", { name: "Search" }).click();
    await root.getByRole("link", { name: "Licence of Console Org" }).first().click();
    await visit(root, "platform-organization-licence");
    await root.getByLabel("Licence key").fill("LIC-CONSOLE");
    await root.getByLabel("Asset limit").fill("100");
    await root.getByRole("button", { name: "Save the licence" }).click();
    check((await root.getByRole("status").innerText()).includes("saved"), "the licence is saved");
    const licensed = await (await api.get(`${base}/api/v1/organizations/${organization}`, { headers: auth })).json();
    check(licensed.license_key === "LIC-CONSOLE" && licensed.max_assets === 100, `and the API sees it (${licensed.license_key}, ${licensed.max_assets})`);
    await root.goto(`${base}/console/platform/organizations`);
    await root.getByRole("link", { name: "Suspend Console Org" }).first().click();
    await visit(root, "platform-organization-suspend");
    await root.getByRole("button", { name: "Suspend the organization" }).click();
    check(root.url() === `${base}/console/platform/organizations`, "back on the organizations after suspending");
    const suspended = await api.get(`${base}/api/v1/organizations/${organization}/members`, { headers: auth });
    const problem = await suspended.json();
    check(suspended.status() === 403 && problem.type === "/problems/organization-suspended", `the API refuses its owner (${suspended.status()} ${problem.type})`);
    await visit(root, "platform-organizations-suspended");
    await root.getByRole("link", { name: "Unsuspend Console Org" }).first().click();
    await root.getByRole("button", { name: "Unsuspend the organization" }).click();
    const lifted = await api.get(`${base}/api/v1/organizations/${organization}/members`, { headers: auth });
    check(lifted.status() === 200, `unsuspended, the API answers its owner again (${lifted.status()})`);

    // The outbox lists the invitation mailed earlier, without its body.
    await root.goto(`${base}/console/platform/outbox`);
    const outbox = await root.locator("main").innerText();
    check(outbox.includes("invitation") && !outbox.includes("token="), "the outbox lists the invitation, without its body");
    await rootContext.close();
  }

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
