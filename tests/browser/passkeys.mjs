// Passkeys end to end in headless Chromium with the DevTools virtual authenticator: a
// user registers a passkey, signs in with it with and without a login name, finishes a
// password login with it as the second step (password -> mfa_token -> webauthn), signs
// in into an organization (and is refused one they are not a member of), a cloned
// authenticator (the same credential with a lower sign count) is refused and audited,
// and a removed passkey no longer signs in.
//
// The page the browser drives is a small fixture (below), served by this script on the
// server's own origin (Playwright answers the request for /passkeys-fixture), so it calls
// the API same-origin. WebAuthn needs a secure context and a domain: BASE_URL must be
// http://localhost:PORT, and the server's relying party `localhost` (its default).
//
//   node tests/browser/passkeys.mjs BASE_URL OUTPUT_DIR
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const [base, outDir] = process.argv.slice(2);
if (!outDir || !base.startsWith("http://localhost:")) {
  console.error("usage: passkeys.mjs http://localhost:PORT OUTPUT_DIR");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const FIXTURE = `<!doctype html>
<html><head><meta charset="utf-8"><title>authdb passkeys fixture</title></head>
<body><h1>authdb passkeys fixture</h1><pre id="log"></pre>
<script>
const b64url = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
  .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
const bytes = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const log = (line) => { document.getElementById("log").textContent += line + "\\n"; };
async function call(path, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = "Bearer " + token;
  const response = await fetch(path, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await response.text();
  log(path + " -> " + response.status);
  return { status: response.status, body: text ? JSON.parse(text) : null };
}
window.registerPasskey = async (token, name) => {
  const start = await call("/api/v1/auth/passkeys/register/start", {}, token);
  if (start.status !== 200) return start;
  const options = start.body.public_key;
  options.challenge = bytes(options.challenge);
  options.user.id = bytes(options.user.id);
  for (const excluded of options.excludeCredentials || []) excluded.id = bytes(excluded.id);
  const credential = await navigator.credentials.create({ publicKey: options });
  return call("/api/v1/auth/passkeys/register/finish", {
    ceremony_id: start.body.ceremony_id,
    name,
    credential: {
      id: credential.id,
      rawId: b64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: b64url(credential.response.clientDataJSON),
        attestationObject: b64url(credential.response.attestationObject),
        transports: credential.response.getTransports ? credential.response.getTransports() : [],
      },
      extensions: credential.getClientExtensionResults(),
    },
  }, token);
};
async function assertion(options) {
  options.challenge = bytes(options.challenge);
  for (const allowed of options.allowCredentials || []) allowed.id = bytes(allowed.id);
  const credential = await navigator.credentials.get({ publicKey: options });
  return {
    id: credential.id,
    rawId: b64url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: b64url(credential.response.clientDataJSON),
      authenticatorData: b64url(credential.response.authenticatorData),
      signature: b64url(credential.response.signature),
      userHandle: credential.response.userHandle ? b64url(credential.response.userHandle) : null,
    },
    extensions: credential.getClientExtensionResults(),
  };
}
window.signIn = async (login, organizationId) => {
  const start = await call("/api/v1/auth/passkeys/login/start", login ? { login } : {});
  if (start.status !== 200) return start;
  const options = start.body.public_key;
  const offered = (options.allowCredentials || []).length;
  const body = { ceremony_id: start.body.ceremony_id, credential: await assertion(options) };
  if (organizationId) body.organization_id = organizationId;
  const finish = await call("/api/v1/auth/passkeys/login/finish", body);
  return { ...finish, offered };
};
// The second step of a password login that answered /problems/mfa-required.
window.secondStep = async (mfaToken) => {
  const start = await call("/api/v1/auth/mfa/webauthn/start", { mfa_token: mfaToken });
  if (start.status !== 200) return start;
  const options = start.body.public_key;
  const offered = (options.allowCredentials || []).length;
  const finish = await call("/api/v1/auth/mfa/webauthn/finish", {
    mfa_token: mfaToken,
    credential: await assertion(options),
  });
  return { ...finish, offered };
};
</script></body></html>`;

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
const claims = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());

async function api(method, path, token, body) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  // Node may resolve localhost to ::1 first; the server listens on 127.0.0.1.
  const response = await fetch(`${base.replace("//localhost:", "//127.0.0.1:")}${path}`, {
    method, headers, body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

try {
  const username = `pk${Date.now() % 1000000}`;
  const password = "Passkey-Secret-1";
  const registered = await api("POST", "/api/v1/auth/register", null, {
    email: `${username}@example.com`, username, password,
  });
  check(registered.status === 201, `a user registers (${registered.status})`);
  const token = registered.body.access_token;

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route(`${base}/passkeys-fixture`, (route) =>
    route.fulfill({ status: 200, contentType: "text/html", body: FIXTURE }));
  await page.goto(`${base}/passkeys-fixture`);
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const authenticatorOptions = {
    protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true,
    isUserVerified: true, automaticPresenceSimulation: true,
  };
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", { options: authenticatorOptions });

  // Register.
  const registration = await page.evaluate(([t]) => window.registerPasskey(t, "virtual key"), [token]);
  check(registration.status === 201, `register/finish stores the passkey (${registration.status} ${JSON.stringify(registration.body)})`);
  const passkeyId = registration.body?.id;
  const listed = await api("GET", "/api/v1/auth/passkeys", token);
  check(listed.body?.items?.length === 1 && listed.body.items[0].name === "virtual key", "the passkey is listed");
  check(listed.body?.items?.[0]?.transports?.includes("internal"), `its transports are stored (${JSON.stringify(listed.body?.items?.[0]?.transports)})`);
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  check(credentials.length === 1 && credentials[0].isResidentCredential, "the authenticator holds one discoverable credential");
  // Registering the same authenticator again is excluded by the browser.
  const again = await page.evaluate(([t]) => window.registerPasskey(t, "again").catch((e) => ({ status: e.name })), [token]);
  check(again.status === "InvalidStateError", `the same authenticator is excluded from a second registration (${again.status})`);

  // Sign in with a login name: the account's credential is offered.
  const named = await page.evaluate(([u]) => window.signIn(u), [username]);
  check(named.status === 200 && named.offered === 1, `sign-in with a login name (${named.status}, offered ${named.offered})`);
  if (named.status === 200) {
    const me = await api("GET", "/api/v1/auth/me", named.body.access_token);
    check(me.status === 200 && me.body.username === username, "its access token works");
    const { amr, auth_time: authTime } = claims(named.body.access_token);
    check(Array.isArray(amr) && (amr.includes("hwk") || amr.includes("swk")) && amr.includes("mfa"),
      `amr names the key and counts as multi-factor (${JSON.stringify(amr)})`);
    check(Number.isInteger(authTime) && Math.abs(authTime - Date.now() / 1000) < 300, `auth_time is now (${authTime})`);
    check(typeof named.body.refresh_token === "string", "a refresh token is issued");
  }
  // Sign in without a login name: a discoverable credential.
  const discoverable = await page.evaluate(() => window.signIn(null));
  check(discoverable.status === 200 && discoverable.offered === 0, `sign-in without a login name (${discoverable.status})`);
  check(discoverable.body?.user?.username === username, "it signs in the passkey's owner");

  // A password login now needs the second step, and the passkey finishes it.
  const challenged = await api("POST", "/api/v1/auth/login", null, { login: username, password });
  check(challenged.status === 401 && challenged.body?.type === "/problems/mfa-required"
    && challenged.body?.methods?.includes("webauthn"),
  `the password alone answers mfa-required with webauthn (${challenged.status} ${JSON.stringify(challenged.body?.methods)})`);
  const mfaToken = challenged.body?.mfa_token;
  const second = await page.evaluate(([t]) => window.secondStep(t), [mfaToken]);
  check(second.status === 200 && second.offered === 1, `the passkey finishes the login (${second.status}, offered ${second.offered})`);
  if (second.status === 200) {
    const { amr } = claims(second.body.access_token);
    check(amr?.[0] === "pwd" && (amr.includes("hwk") || amr.includes("swk")) && amr.includes("mfa"),
      `amr is pwd + the key + mfa (${JSON.stringify(amr)})`);
    const me = await api("GET", "/api/v1/auth/me", second.body.access_token);
    check(me.status === 200 && me.body.username === username, "its access token works");
  }
  const reused = await api("POST", "/api/v1/auth/mfa/webauthn/start", null, { mfa_token: mfaToken });
  check(reused.status === 401 && reused.body?.type === "/problems/invalid-mfa-token", `the mfa_token is spent (${reused.status})`);

  // Sign-in into an organization: a member gets a scoped token, a non-member 403.
  const organization = await api("POST", "/api/v1/organizations", token, { name: `Org ${username}`, slug: `org-${username}` });
  check(organization.status === 201, `an organization is created (${organization.status})`);
  const scoped = await page.evaluate(([u, o]) => window.signIn(u, o), [username, organization.body?.id]);
  check(scoped.status === 200 && claims(scoped.body.access_token).org === organization.body?.id
    && claims(scoped.body.access_token).role === "owner",
  `a passkey sign-in scoped to the organization (${scoped.status})`);
  const elsewhere = await page.evaluate(([o]) => window.signIn(null, o), [crypto.randomUUID()]);
  check(elsewhere.status === 403 && elsewhere.body?.type === "/problems/not-a-member",
    `a non-member is refused as a password login refuses them (${elsewhere.status} ${elsewhere.body?.type})`);
  const challengedOrg = await api("POST", "/api/v1/auth/login", null, { login: username, password, organization_id: organization.body?.id });
  const secondOrg = await page.evaluate(([t]) => window.secondStep(t), [challengedOrg.body?.mfa_token]);
  check(secondOrg.status === 200 && claims(secondOrg.body.access_token).org === organization.body?.id,
    `password then passkey, scoped by the login's organization_id (${secondOrg.status})`);

  // Removing a passkey is a sensitive action: the registration's password-only session
  // must step up; a password-then-passkey session may.
  const challengedAgain = await api("POST", "/api/v1/auth/login", null, { login: username, password });
  const bothFactors = await page.evaluate(([t]) => window.secondStep(t), [challengedAgain.body?.mfa_token]);
  check(bothFactors.status === 200, `password then passkey signs in again (${bothFactors.status})`);
  const strongToken = bothFactors.body?.access_token;

  const afterUse = await api("GET", `/api/v1/auth/passkeys/${passkeyId}`, token);
  check(afterUse.body?.sign_count >= 5 && afterUse.body?.last_used_at, `the sign count and last use are kept (${afterUse.body?.sign_count})`);

  // A cloned authenticator: the same credential on another authenticator, counting from 0.
  const [original] = (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials;
  await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId });
  const clone = await cdp.send("WebAuthn.addVirtualAuthenticator", { options: authenticatorOptions });
  await cdp.send("WebAuthn.addCredential", {
    authenticatorId: clone.authenticatorId,
    credential: { ...original, signCount: 0 },
  });
  const cloned = await page.evaluate(([u]) => window.signIn(u), [username]);
  check(cloned.status === 401, `the clone's sign-in is refused (${cloned.status})`);
  const events = await api("GET", "/api/v1/auth/events?limit=50", token);
  const actions = (events.body?.items || []).map((event) => event.action);
  check(actions.includes("passkey.clone_suspected"), `the clone is audited (${actions.join(", ")})`);
  check(actions.includes("passkey.registered"), "the registration is audited");
  const unchanged = await api("GET", `/api/v1/auth/passkeys/${passkeyId}`, token);
  check(unchanged.body?.sign_count === afterUse.body?.sign_count, "the clone did not move the stored sign count");
  await page.screenshot({ path: `${outDir}/passkeys.png` });

  // Remove: the passkey no longer signs in.
  const weak = await api("DELETE", `/api/v1/auth/passkeys/${passkeyId}`, token);
  check(weak.status === 401 && weak.body?.type === "/problems/step-up-required",
    `a password-only session may not remove the passkey (${weak.status} ${weak.body?.type})`);
  const removed = await api("DELETE", `/api/v1/auth/passkeys/${passkeyId}`, strongToken);
  check(removed.status === 204, `the passkey is removed (${removed.status})`);
  const empty = await api("GET", "/api/v1/auth/passkeys", token);
  check(empty.body?.items?.length === 0, "the list is empty");
  await cdp.send("WebAuthn.addCredential", {
    authenticatorId: clone.authenticatorId,
    credential: { ...original, signCount: 1000 },
  }).catch(() => {});
  const gone = await page.evaluate(() => window.signIn(null));
  check(gone.status === 401, `a removed passkey does not sign in (${gone.status})`);
  const finalEvents = await api("GET", "/api/v1/auth/events?limit=50", token);
  check((finalEvents.body?.items || []).some((event) => event.action === "passkey.removed"), "the removal is audited");
} catch (error) {
  console.log(`FAILED: ${error.stack || error}`);
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
