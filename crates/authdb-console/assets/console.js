// authdb console: the passkey ceremonies (WebAuthn runs in the browser, through
// navigator.credentials). Compiled into the server and loaded from its own path (the
// Content-Security-Policy allows no inline script and no eval).
//
// Each `form[data-passkey]` is hidden until this script finds WebAuthn. Submitting it:
// POST its `data-start` URL (JSON; the form's CSRF token in the X-CSRF-Token header), hand
// the options to the browser, POST the browser's answer to its `data-finish` URL, then go
// to the `next` page the server names. A problem is shown in the form's alert region.
"use strict";

// base64url <-> bytes (WebAuthn's binary members travel as base64url text).
const toBytes = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const toText = (buffer) =>
  btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

// A JSON POST to the console; an error answer ({title, detail}) is thrown.
async function post(form, url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": form.elements.csrf.value },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ title: "Unexpected answer", detail: `status ${response.status}` }));
  if (!response.ok) throw answer;
  return answer;
}

// navigator.credentials.get() for request options; the assertion as JSON.
async function assertion(options) {
  options.challenge = toBytes(options.challenge);
  for (const allowed of options.allowCredentials || []) allowed.id = toBytes(allowed.id);
  const credential = await navigator.credentials.get({ publicKey: options });
  return {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toText(credential.response.clientDataJSON),
      authenticatorData: toText(credential.response.authenticatorData),
      signature: toText(credential.response.signature),
      userHandle: credential.response.userHandle ? toText(credential.response.userHandle) : null,
    },
    extensions: credential.getClientExtensionResults(),
  };
}

// Registering a passkey (signed in): its name from the form.
async function register(form) {
  const start = await post(form, form.dataset.start, {});
  const options = start.public_key;
  options.challenge = toBytes(options.challenge);
  options.user.id = toBytes(options.user.id);
  for (const excluded of options.excludeCredentials || []) excluded.id = toBytes(excluded.id);
  const credential = await navigator.credentials.create({ publicKey: options });
  return post(form, form.dataset.finish, {
    ceremony_id: start.ceremony_id,
    name: form.elements.name.value,
    credential: {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toText(credential.response.clientDataJSON),
        attestationObject: toText(credential.response.attestationObject),
        transports: credential.response.getTransports ? credential.response.getTransports() : [],
      },
      extensions: credential.getClientExtensionResults(),
    },
  });
}

// Signing in with a passkey: for the login typed in the page's password form, if any
// (its passkeys are offered), else any discoverable passkey of this site.
async function signIn(form) {
  const login = (document.getElementById("login")?.value || "").trim();
  const start = await post(form, form.dataset.start, login ? { login } : {});
  return post(form, form.dataset.finish, { ceremony_id: start.ceremony_id, credential: await assertion(start.public_key) });
}

// The second step of a password sign-in (the server keeps the sign-in's token).
async function secondFactor(form) {
  const start = await post(form, form.dataset.start, {});
  return post(form, form.dataset.finish, { credential: await assertion(start.public_key) });
}

// Confirming it is you before a sensitive action.
async function stepUp(form) {
  const start = await post(form, form.dataset.start, {});
  return post(form, form.dataset.finish, { ceremony_id: start.ceremony_id, credential: await assertion(start.public_key) });
}

const CEREMONIES = { register, "sign-in": signIn, "second-factor": secondFactor, "step-up": stepUp };

function showProblem(form, problem) {
  const alert = form.querySelector("[data-passkey-problem]");
  const title = document.createElement("strong");
  title.textContent = problem.title || "Passkey not used";
  const detail = document.createElement("p");
  // A DOMException (the user cancelled, a timeout) has a message, not a detail.
  detail.textContent = problem.detail || problem.message || String(problem);
  const heading = document.createElement("p");
  heading.append(title);
  alert.replaceChildren(heading, detail);
  alert.setAttribute("role", "alert");
  alert.hidden = false;
}

for (const form of document.querySelectorAll("form[data-passkey]")) {
  if (!window.PublicKeyCredential || !navigator.credentials) {
    const note = document.querySelector(`[data-passkey-unsupported="${form.dataset.passkey}"]`);
    if (note) note.hidden = false;
    continue;
  }
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const done = await CEREMONIES[form.dataset.passkey](form);
      window.location.assign(done.next);
    } catch (problem) {
      showProblem(form, problem);
      button.disabled = false;
    }
  });
}
