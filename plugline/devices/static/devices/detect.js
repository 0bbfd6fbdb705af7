/* Step 1 of the activation wizard: "Detect device".
 *
 * The device agent answers on this computer (127.0.0.1). The page asks it
 * for the device's serial, asks the server for a one-time challenge for that
 * serial, has the agent sign the challenge, and sends the signature to the
 * server, which checks it and shows "Device Detected". The agent answers only
 * pages of this portal (CORS), and tells other pages only that it refuses them. Without JavaScript, or without the agent, the
 * form for the serial number and label code does the same.
 */
(function () {
  "use strict";

  var section = document.getElementById("detect");
  if (!section || !window.fetch || !window.JSON) {
    return;
  }
  var button = document.getElementById("detect-button");
  var statusLine = document.getElementById("detect-status");
  var errorBox = document.getElementById("detect-error");
  // Help articles about a device that is not found, shown with that error only.
  var helpBox = document.getElementById("detect-help");
  var resultBox = document.getElementById("detect-result");
  var data = section.dataset;
  var busy = false;
  var AGENT_TIMEOUT_MS = 5000;

  // A failure with the message to show (already in the customer's language).
  function Failure(message) {
    this.message = message;
  }

  function withTimeout(promise, ms) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
      promise.then(
        function (value) { clearTimeout(timer); resolve(value); },
        function (error) { clearTimeout(timer); reject(error); }
      );
    });
  }

  // The agent: not found, not running or not answering all mean "not found".
  // An agent started for another address (another port, say) answers that
  // it refuses this page's origin: then the page says how to start it.
  function askAgent(path, body) {
    var options = { method: "GET", mode: "cors", credentials: "omit", cache: "no-store" };
    if (body) {
      options.method = "POST";
      options.headers = { "Content-Type": "application/json" };
      options.body = JSON.stringify(body);
    }
    return withTimeout(fetch(data.agentUrl + path, options), AGENT_TIMEOUT_MS)
      .catch(function () {
        throw new Failure(data.notFound);
      })
      .then(function (response) {
        if (response.ok) {
          return response.json().catch(function () {
            throw new Failure(data.notFound);
          });
        }
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (answer.error === "origin_refused") {
            throw new Failure(data.originRefused.split("{origin}").join(window.location.origin));
          }
          throw new Failure(data.notFound);
        });
      });
  }

  // The portal: same origin, with the session and the CSRF token.
  function askServer(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": data.csrfToken
      },
      body: JSON.stringify(body)
    })
      .catch(function () {
        throw new Failure(data.failed);
      })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (!response.ok) {
            throw new Failure(answer.error || data.failed);
          }
          return answer;
        });
      });
  }

  function showError(message) {
    statusLine.textContent = "";
    errorBox.textContent = "";
    var paragraph = document.createElement("p");
    paragraph.textContent = message;
    errorBox.appendChild(paragraph);
    errorBox.hidden = false;
    if (helpBox) {
      helpBox.hidden = message !== data.notFound;
    }
  }

  function showResult(html) {
    statusLine.textContent = "";
    resultBox.innerHTML = html;
    var heading = resultBox.querySelector("h2");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }

  function detect() {
    if (busy) {
      return;
    }
    busy = true;
    section.setAttribute("aria-busy", "true");
    errorBox.hidden = true;
    if (helpBox) {
      helpBox.hidden = true;
    }
    statusLine.textContent = data.looking;
    var serial;
    var challenge;
    askAgent("/v1/device")
      .then(function (device) {
        serial = device.serial;
        return askServer(data.challengeUrl, { serial: serial });
      })
      .then(function (issued) {
        challenge = issued.challenge;
        return askAgent("/v1/presence", { challenge: challenge });
      })
      .then(function (signed) {
        return askServer(data.proofUrl, {
          serial: serial,
          challenge: challenge,
          signature: signed.signature
        });
      })
      .then(function (proof) {
        showResult(proof.html);
      })
      .catch(function (error) {
        showError(error instanceof Failure ? error.message : data.failed);
      })
      .then(function () {
        busy = false;
        section.removeAttribute("aria-busy");
      });
  }

  button.addEventListener("click", detect);
  section.hidden = false;
})();
