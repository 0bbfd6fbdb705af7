// "Call from this computer": the device's line as a phone in the page (SIP.js's
// SessionManager over Kamailio's WebSocket). The credentials are short-lived: the page asks
// Plugline for them (POST, CSRF) when it opens and again before they expire. Every message
// the page shows comes translated from the template (json_script "softphone-text").

const section = document.getElementById("softphone");
const text = JSON.parse(document.getElementById("softphone-text").textContent);
const statusLine = document.getElementById("softphone-status");
const errorLine = document.getElementById("softphone-error");
const form = document.getElementById("softphone-dial");
const numberInput = document.getElementById("softphone-number");
const callButton = document.getElementById("softphone-call");
const hangupButton = document.getElementById("softphone-hangup");
const muteButton = document.getElementById("softphone-mute");
const incoming = document.getElementById("softphone-incoming");
const incomingText = document.getElementById("softphone-incoming-text");
const answerButton = document.getElementById("softphone-answer");
const declineButton = document.getElementById("softphone-decline");
const remoteAudio = document.getElementById("softphone-remote");

let manager = null;
let registered = false;
let session = null;
let ringing = null;
let muted = false;
let refreshTimer = null;

function say(message) {
  statusLine.textContent = message;
}

// The alert region stays in the page, empty, from the start: screen readers announce what
// is then written into it (a region shown at the same moment as its text may go unread).
function fail(message) {
  errorLine.replaceChildren();
  if (message) {
    const badge = document.createElement("p");
    badge.className = "badge danger";
    badge.textContent = message;
    errorLine.append(badge);
  }
}

function withNumber(template, number) {
  return template.replace("%(number)s", displayNumber(number) || text.unknown_caller);
}

// A number as Plugline's pages write it (plugline.core.phones): "(212) 555-0148" within the
// home numbering plan, "+44 20 7946 0018" abroad. Kamailio gives callers as digits with or
// without "+"; anything libphonenumber-js (vendored) cannot read is shown as it came.
function displayNumber(number) {
  const phones = globalThis.libphonenumber;
  if (!number || !phones) {
    return number;
  }
  let parsed = phones.parsePhoneNumberFromString(number, text.home_region);
  if ((!parsed || !parsed.isValid()) && !number.startsWith("+")) {
    parsed = phones.parsePhoneNumberFromString(`+${number}`);
  }
  if (!parsed || !parsed.isValid()) {
    return number;
  }
  const home = phones.getCountryCallingCode(text.home_region);
  return parsed.countryCallingCode === home
    ? parsed.formatNational()
    : parsed.formatInternational();
}

function csrfToken() {
  return form.querySelector("[name=csrfmiddlewaretoken]").value;
}

// Call stays enabled (and reachable by Tab) while the page connects: pressing it then says why
// a call cannot start yet, rather than leaving a dead, skipped button.
function inCall(active) {
  callButton.disabled = active;
  hangupButton.disabled = !active;
  muteButton.disabled = !active;
  if (!active) {
    muted = false;
    muteButton.setAttribute("aria-pressed", "false");
    muteButton.textContent = text.mute;
  }
}

async function credentials() {
  const response = await fetch(section.dataset.credentialsUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrfToken() },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(body.error || text.offline);
  }
  return body;
}

// New credentials a minute before the current ones expire; Kamailio checks them at the next
// REGISTER refresh and at the next call.
function scheduleRefresh(expiresAt) {
  clearTimeout(refreshTimer);
  const delay = Math.max(30, expiresAt - Date.now() / 1000 - 60) * 1000;
  refreshTimer = setTimeout(async () => {
    try {
      const fresh = await credentials();
      manager.userAgent.options.authorizationUsername = fresh.username;
      manager.userAgent.options.authorizationPassword = fresh.password;
      scheduleRefresh(fresh.expires_at);
    } catch (error) {
      fail(error.message);
    }
  }, delay);
}

// Asks for the microphone before a call starts or is answered, to say clearly why a call
// cannot go on when the browser (or the person) refuses it.
async function microphoneAllowed() {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    stream.getTracks().forEach((track) => track.stop());
    fail("");
    return true;
  } catch (error) {
    const missing = error && (error.name === "NotFoundError" || error.name === "OverconstrainedError");
    fail(missing ? text.mic_missing : text.mic_refused);
    return false;
  }
}

function showIncoming(invitation) {
  ringing = invitation;
  const caller = invitation.remoteIdentity.uri.user;
  incomingText.textContent = withNumber(text.incoming, caller);
  incoming.hidden = false;
  say(withNumber(text.incoming, caller));
  answerButton.focus();
}

function hideIncoming() {
  ringing = null;
  incoming.hidden = true;
}

async function start() {
  let sip;
  let first;
  try {
    [sip, first] = await Promise.all([import(section.dataset.sipjsUrl), credentials()]);
  } catch (error) {
    say("");
    fail(error.message || text.offline);
    return;
  }
  manager = new sip.SessionManager(first.ws_url, {
    aor: first.aor,
    media: { constraints: { audio: true, video: false }, remote: { audio: remoteAudio } },
    maxSimultaneousSessions: 1,
    reconnectionAttempts: 3,
    userAgentOptions: {
      authorizationUsername: first.username,
      authorizationPassword: first.password,
      logBuiltinEnabled: false,
    },
    delegate: {
      onRegistered: () => {
        registered = true;
        say(text.ready);
      },
      onUnregistered: () => {
        registered = false;
      },
      onServerDisconnect: () => {
        registered = false;
        fail(text.offline);
      },
      onCallReceived: (invitation) => showIncoming(invitation),
      onCallCreated: (created) => {
        session = created;
      },
      onCallAnswered: (answered) => {
        hideIncoming();
        session = answered;
        inCall(true);
        const peer = answered.remoteIdentity.uri.user;
        say(withNumber(text.in_call, peer));
      },
      onCallHangup: () => {
        hideIncoming();
        session = null;
        inCall(false);
        say(text.ended);
      },
    },
  });
  scheduleRefresh(first.expires_at);
  try {
    await manager.connect();
    await manager.register();
  } catch (error) {
    fail(text.offline);
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const number = numberInput.value.replace(/[^0-9+*#]/g, "");
  if (!number) {
    fail(text.number_missing);
    numberInput.focus();
    return;
  }
  if (!(await microphoneAllowed())) {
    return;
  }
  if (manager === null || !registered) {
    fail(text.not_connected);
    return;
  }
  const domain = manager.userAgent.configuration.uri.host;
  callButton.disabled = true;
  say(withNumber(text.calling, number));
  try {
    await manager.call(`sip:${number}@${domain}`);
    hangupButton.disabled = false;
    hangupButton.focus();
  } catch (error) {
    inCall(false);
    fail(text.failed);
  }
});

hangupButton.addEventListener("click", async () => {
  if (session) {
    await manager.hangup(session).catch(() => undefined);
  }
});

muteButton.addEventListener("click", () => {
  if (!session) {
    return;
  }
  muted = !muted;
  if (muted) {
    manager.mute(session);
  } else {
    manager.unmute(session);
  }
  muteButton.setAttribute("aria-pressed", String(muted));
  muteButton.textContent = muted ? text.unmute : text.mute;
});

answerButton.addEventListener("click", async () => {
  if (!ringing) {
    return;
  }
  const invitation = ringing;
  if (!(await microphoneAllowed())) {
    await manager.decline(invitation).catch(() => undefined);
    hideIncoming();
    return;
  }
  await manager.answer(invitation).catch(() => fail(text.failed));
  hangupButton.focus();
});

declineButton.addEventListener("click", async () => {
  if (ringing) {
    await manager.decline(ringing).catch(() => undefined);
    hideIncoming();
    say(text.ready);
    numberInput.focus();
  }
});

for (const key of section.querySelectorAll("[data-digit]")) {
  key.addEventListener("click", () => {
    const digit = key.dataset.digit;
    if (session) {
      manager.sendDTMF(session, digit).catch(() => undefined);
    } else {
      numberInput.value += digit;
    }
  });
}

start();
