// Passkeys (WebAuthn): register one, sign in with one, or use one as the second factor.
// Buttons carry data-passkey="register|login|mfa" and the URLs to call; messages go to
// the element named by data-status. No inline script: the CSP allows none.
(function () {
  "use strict";

  function fromB64url(text) {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(b64 + "===".slice((b64.length + 3) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0)).buffer;
  }

  function toB64url(buffer) {
    let raw = "";
    new Uint8Array(buffer).forEach((b) => { raw += String.fromCharCode(b); });
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrf() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (!response.ok) {
      throw new Error(data.detail || "Something went wrong. Please try again.");
    }
    return data;
  }

  function credentialJSON(cred) {
    const r = cred.response;
    const out = {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      response: { clientDataJSON: toB64url(r.clientDataJSON) },
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      out.response.userHandle = r.userHandle ? toB64url(r.userHandle) : null;
    }
    return out;
  }

  async function register(button) {
    const options = await post(button.dataset.options);
    options.challenge = fromB64url(options.challenge);
    options.user.id = fromB64url(options.user.id);
    (options.excludeCredentials || []).forEach((c) => { c.id = fromB64url(c.id); });
    const cred = await navigator.credentials.create({ publicKey: options });
    const nameField = document.getElementById(button.dataset.name || "");
    await post(button.dataset.url, {
      credential: credentialJSON(cred),
      name: nameField ? nameField.value : "",
    });
    window.location.reload();
  }

  async function assert(button) {
    const options = await post(button.dataset.options);
    options.challenge = fromB64url(options.challenge);
    (options.allowCredentials || []).forEach((c) => { c.id = fromB64url(c.id); });
    const cred = await navigator.credentials.get({ publicKey: options });
    const next = button.dataset.next ? "?next=" + encodeURIComponent(button.dataset.next) : "";
    const result = await post(button.dataset.url + next, { credential: credentialJSON(cred) });
    window.location.assign(result.redirect || "/");
  }

  function say(button, text) {
    const status = document.getElementById(button.dataset.status || "");
    if (status) { status.textContent = text; status.hidden = !text; }
  }

  document.querySelectorAll("[data-passkey]").forEach((button) => {
    if (!window.PublicKeyCredential) {
      button.hidden = true;
      return;
    }
    button.hidden = false;
    button.addEventListener("click", async (event) => {
      event.preventDefault();
      say(button, "");
      button.disabled = true;
      try {
        await (button.dataset.passkey === "register" ? register(button) : assert(button));
      } catch (error) {
        const cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
        say(button, cancelled ? "No passkey was used." : error.message);
      } finally {
        button.disabled = false;
      }
    });
  });
})();
