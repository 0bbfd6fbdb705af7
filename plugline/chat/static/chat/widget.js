// "Chat with us" (plugline.chat): the customer's side of live chat. The protocol, and what
// it guarantees, is described in plugline/chat/consumers.py. Text from the server is only
// ever inserted with textContent; the translated phrases come from the data-t-* attributes.
(function () {
  "use strict";

  const root = document.querySelector("[data-chat]");
  if (!root || !("WebSocket" in window)) {
    return;
  }
  const OPEN_KEY = "plugline-chat-open";
  const toggle = root.querySelector(".chat-toggle");
  // The panel is made from its template when first opened, so that a page holds no chat
  // fields until the customer asks for the chat.
  function start(focus) {
    root.append(root.querySelector("template.chat-panel-template").content.cloneNode(true));
    toggle.setAttribute("aria-controls", "chat-panel");
    const panel = root.querySelector(".chat-panel");
    const title = panel.querySelector("#chat-title");
    const stateLine = panel.querySelector(".chat-state");
    const errorLine = panel.querySelector(".chat-error");
    const startForm = panel.querySelector(".chat-start");
    const log = panel.querySelector(".chat-log");
    const typingLine = panel.querySelector(".chat-typing");
    const sendForm = panel.querySelector(".chat-send");
    const text = sendForm.querySelector("textarea");
    const imageInput = sendForm.querySelector(".chat-image");
    const rateForm = panel.querySelector(".chat-rate");
    const offlineForm = panel.querySelector(".chat-offline");

    let socket = null;
    let lastSeq = 0;
    let retries = 0;
    let typingSentAt = 0;
    let typingTimer = null;
    let status = null;

    function phrase(name, values) {
      let result = root.dataset["t" + name] || "";
      Object.keys(values || {}).forEach(function (key) {
        result = result.replace("%(" + key + ")s", values[key]);
      });
      return result;
    }

    function show(part) {
      startForm.hidden = part !== "start";
      offlineForm.hidden = part !== "offline";
      const chatting = part === "chat";
      sendForm.hidden = !chatting || status === "closed";
      rateForm.hidden = !chatting || status !== "closed";
      log.hidden = !chatting;
    }

    // The forms carry Django's CSRF token as a hidden field; FormData sends it.
    const jsonHeaders = { Accept: "application/json" };

    function showFieldErrors(form, errors) {
      form.querySelectorAll(".field-error").forEach(function (span) {
        span.textContent = "";
      });
      let first = null;
      Object.keys(errors || {}).forEach(function (field) {
        const input = form.querySelector("[name='" + field + "']");
        if (!input) {
          return;
        }
        const span = form.querySelector("#" + input.id + "-error");
        if (span) {
          span.textContent = [].concat(errors[field]).join(" ");
        }
        input.setAttribute("aria-invalid", "true");
        first = first || input;
      });
      if (first) {
        first.focus();
      }
    }

    function refresh() {
      errorLine.textContent = "";
      return fetch(root.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.json();
        })
        .then(function (data) {
          if (data.conversation) {
            show("chat");
            connect();
          } else if (data.available) {
            stateLine.textContent = "";
            show("start");
          } else {
            stateLine.textContent = phrase("Offline");
            show("offline");
          }
        })
        .catch(function () {
          errorLine.textContent = phrase("Failed");
        });
    }

    function openPanel(focus) {
      panel.hidden = false;
      toggle.setAttribute("aria-expanded", "true");
      sessionStorage.setItem(OPEN_KEY, "1");
      if (focus) {
        title.focus();
      }
      return refresh();
    }

    function hidePanel() {
      panel.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      sessionStorage.removeItem(OPEN_KEY);
      toggle.focus();
    }

    function connect() {
      if (socket && socket.readyState <= 1) {
        return;
      }
      const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + window.location.host + root.dataset.socketPath);
      stateLine.textContent = phrase(retries ? "Reconnecting" : "Connecting");
      socket.addEventListener("open", function () {
        retries = 0;
        errorLine.textContent = "";
        socket.send(JSON.stringify({ type: "resume", after: lastSeq }));
      });
      socket.addEventListener("message", function (event) {
        receive(JSON.parse(event.data));
      });
      socket.addEventListener("close", function (event) {
        socket = null;
        if (event.code === 4404 || event.code === 1006 && retries > 3) {
          refresh();
          return;
        }
        if (!panel.hidden || sessionStorage.getItem(OPEN_KEY)) {
          retries += 1;
          stateLine.textContent = phrase("Reconnecting");
          window.setTimeout(connect, Math.min(500 * Math.pow(2, retries), 10000));
        }
      });
    }

    function send(message) {
      if (socket && socket.readyState === 1) {
        socket.send(JSON.stringify(message));
        return true;
      }
      return false;
    }

    function receive(data) {
      if (data.type === "message") {
        if (data.seq <= lastSeq) {
          return; // already shown (a replay overlapping live messages)
        }
        if (data.seq > lastSeq + 1) {
          send({ type: "resume", after: lastSeq }); // a gap: ask again from the last one held
          return;
        }
        lastSeq = data.seq;
        addMessage(data);
      } else if (data.type === "state") {
        status = data.status;
        if (data.status === "queued") {
          stateLine.textContent = phrase("Queued", { position: data.position });
        } else if (data.status === "active") {
          stateLine.textContent = phrase("Active", { agent: data.agent });
        } else {
          stateLine.textContent = data.rating ? phrase("Rated") : phrase("Closed");
          rateForm.querySelector("fieldset").hidden = Boolean(data.rating);
          rateForm.querySelector("button[type=submit]").hidden = Boolean(data.rating);
        }
        if (data.transcript && data.status !== "closed") {
          stateLine.textContent += " " + phrase("Transcript");
        }
        show("chat");
      } else if (data.type === "typing") {
        typingLine.textContent = phrase("Typing", { name: data.name });
        window.clearTimeout(typingTimer);
        typingTimer = window.setTimeout(function () {
          typingLine.textContent = "";
        }, 4000);
      } else if (data.type === "error") {
        errorLine.textContent = data.message;
      }
    }

    function addMessage(data) {
      const item = document.createElement("li");
      item.className = "chat-message chat-" + data.author;
      item.dataset.seq = String(data.seq);
      if (data.author === "system") {
        const events = { joined: "Joined", transferred: "Transferred", closed: "ClosedEvent" };
        item.textContent = phrase(events[data.event] || "ClosedEvent", { name: data.name });
      } else {
        const who = document.createElement("span");
        who.className = "chat-author";
        who.textContent = (data.author === "customer" ? phrase("You") : data.name) + ": ";
        const body = document.createElement("span");
        body.className = "chat-text";
        body.textContent = data.text;
        item.append(who, body);
        if (data.image) {
          const picture = document.createElement("img");
          picture.src = data.image;
          picture.alt = phrase("Image", { name: data.author === "customer" ? phrase("You") : data.name });
          picture.className = "chat-picture";
          item.append(picture);
        }
        if (data.author === "agent") {
          typingLine.textContent = "";
        }
      }
      log.append(item);
      log.scrollTop = log.scrollHeight;
    }

    toggle.addEventListener("click", function () {
      if (panel.hidden) {
        openPanel(true);
      } else {
        hidePanel();
      }
    });
    panel.querySelector(".chat-hide").addEventListener("click", hidePanel);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        hidePanel();
      }
    });

    startForm.addEventListener("submit", function (event) {
      event.preventDefault();
      const body = new FormData(startForm);
      fetch(root.dataset.startUrl, { method: "POST", credentials: "same-origin", headers: jsonHeaders, body: body })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, data: data };
          });
        })
        .then(function (result) {
          if (result.ok) {
            lastSeq = 0;
            log.replaceChildren();
            status = result.data.conversation;
            show("chat");
            connect();
            text.focus();
          } else if (result.data.errors) {
            showFieldErrors(startForm, result.data.errors);
          } else if (result.data.offline) {
            stateLine.textContent = phrase("Offline");
            show("offline");
          } else {
            errorLine.textContent = result.data.error || phrase("Failed");
          }
        })
        .catch(function () {
          errorLine.textContent = phrase("Failed");
        });
    });

    sendForm.addEventListener("submit", function (event) {
      event.preventDefault();
      const value = text.value.trim();
      if (value && send({ type: "message", text: value })) {
        text.value = "";
      }
      text.focus();
    });
    text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        sendForm.requestSubmit();
      }
    });
    text.addEventListener("input", function () {
      const now = Date.now();
      if (now - typingSentAt > 2000) {
        typingSentAt = now;
        send({ type: "typing" });
      }
    });
    imageInput.addEventListener("change", function () {
      if (!imageInput.files.length) {
        return;
      }
      const body = new FormData();
      body.append("csrfmiddlewaretoken", startForm.elements.csrfmiddlewaretoken.value);
      body.append("image", imageInput.files[0]);
      fetch(root.dataset.imageUrl, { method: "POST", credentials: "same-origin", headers: jsonHeaders, body: body })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, data: data };
          });
        })
        .then(function (result) {
          imageInput.value = "";
          errorLine.textContent = result.ok ? "" : result.data.error || phrase("Failed");
        })
        .catch(function () {
          errorLine.textContent = phrase("Failed");
        });
    });
    panel.querySelectorAll(".chat-transcript").forEach(function (button) {
      button.addEventListener("click", function () {
        send({ type: "transcript" });
      });
    });
    panel.querySelector(".chat-end").addEventListener("click", function () {
      send({ type: "close" });
    });
    rateForm.addEventListener("submit", function (event) {
      event.preventDefault();
      const chosen = rateForm.querySelector("input[name=rating]:checked");
      if (chosen) {
        send({ type: "rate", rating: Number(chosen.value) });
      }
    });
    panel.querySelector(".chat-new").addEventListener("click", function () {
      if (socket) {
        socket.close();
      }
      socket = null;
      status = null;
      show("start");
      const first = startForm.querySelector("input, button");
      if (first) {
        first.focus();
      }
    });

    offlineForm.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(root.dataset.contactUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: jsonHeaders,
        body: new FormData(offlineForm),
      })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, data: data };
          });
        })
        .then(function (result) {
          if (result.ok) {
            offlineForm.reset();
            offlineForm.hidden = true;
            stateLine.textContent = phrase("Sent", { reference: result.data.reference });
            title.focus();
          } else {
            showFieldErrors(offlineForm, result.data.errors || {});
          }
        })
        .catch(function () {
          errorLine.textContent = phrase("Failed");
        });
    });

    openPanel(focus);
  }

  function first() {
    toggle.removeEventListener("click", first);
    start(true);
  }
  toggle.addEventListener("click", first);
  root.hidden = false;
  if (sessionStorage.getItem(OPEN_KEY)) {
    toggle.removeEventListener("click", first);
    start(false); // the chat stays open across pages and reloads of this tab
  }
})();
