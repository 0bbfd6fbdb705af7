// The agents' chat console (plugline.chat): availability, the queue, the agent's chats.
// The protocol is described in plugline/chat/consumers.py; text is inserted with textContent.
(function () {
  "use strict";

  const root = document.querySelector("[data-chat-console]");
  if (!root) {
    return;
  }
  const stateLine = root.querySelector(".console-state");
  const errorLine = root.querySelector(".console-error");
  const presenceForm = root.querySelector(".console-presence");
  const queueList = root.querySelector(".console-queue");
  const queueEmpty = root.querySelector(".console-queue-empty");
  const chatsBox = root.querySelector(".console-chats");
  const queueTemplate = document.getElementById("console-queue-item");
  const chatTemplate = document.getElementById("console-chat");
  const chats = new Map(); // conversation id -> {element, lastSeq}
  let socket = null;
  let retries = 0;
  let agents = [];
  let presenceChanging = false;

  function phrase(name, values) {
    let result = root.dataset["t" + name] || "";
    Object.keys(values || {}).forEach(function (key) {
      result = result.replace("%(" + key + ")s", values[key]);
    });
    return result;
  }

  function send(message) {
    if (socket && socket.readyState === 1) {
      socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + root.dataset.socketPath);
    stateLine.textContent = phrase(retries ? "Reconnecting" : "Connecting");
    socket.addEventListener("open", function () {
      retries = 0;
      chats.forEach(function (chat, id) {
        send({ type: "resume", conversation: id, after: chat.lastSeq });
      });
    });
    socket.addEventListener("message", function (event) {
      receive(JSON.parse(event.data));
    });
    socket.addEventListener("close", function () {
      socket = null;
      retries += 1;
      stateLine.textContent = phrase("Reconnecting");
      window.setTimeout(connect, Math.min(500 * Math.pow(2, retries), 10000));
    });
  }

  function receive(data) {
    if (data.type === "console") {
      showConsole(data);
    } else if (data.type === "message") {
      const chat = chats.get(data.conversation);
      if (!chat || data.seq <= chat.lastSeq) {
        return;
      }
      if (data.seq > chat.lastSeq + 1) {
        send({ type: "resume", conversation: data.conversation, after: chat.lastSeq });
        return;
      }
      chat.lastSeq = data.seq;
      addMessage(chat, data);
    } else if (data.type === "typing") {
      const chat = chats.get(data.conversation);
      if (chat) {
        const line = chat.element.querySelector(".chat-typing");
        line.textContent = phrase("Typing", { name: data.name });
        window.clearTimeout(chat.typingTimer);
        chat.typingTimer = window.setTimeout(function () {
          line.textContent = "";
        }, 4000);
      }
    } else if (data.type === "error") {
      errorLine.textContent = data.message;
    }
  }

  function showConsole(data) {
    stateLine.textContent = phrase("Connected");
    errorLine.textContent = "";
    // The queue changes all the time: what the agent is choosing is not undone meanwhile.
    if (!presenceChanging) {
      presenceForm.elements.status.value = data.presence.status;
      presenceForm.elements.capacity.value = data.presence.capacity;
    }
    agents = data.agents;
    queueList.replaceChildren();
    data.queue.forEach(function (waiting) {
      const item = queueTemplate.content.firstElementChild.cloneNode(true);
      item.querySelector(".name").textContent = waiting.name;
      item.querySelector(".language").textContent = "(" + (waiting.language_name || waiting.language) + ")";
      item.querySelector(".accept").addEventListener("click", function () {
        send({ type: "accept", conversation: waiting.id });
      });
      queueList.append(item);
    });
    queueEmpty.hidden = data.queue.length > 0;
    const current = new Set();
    data.chats.forEach(function (info) {
      current.add(info.id);
      let chat = chats.get(info.id);
      if (!chat) {
        chat = addChat(info);
        send({ type: "resume", conversation: info.id, after: 0 });
      }
      fillTransfer(chat);
    });
    chats.forEach(function (chat, id) {
      if (!current.has(id) && !chat.ended) {
        chat.ended = true;
        chat.element.querySelector(".reply").hidden = true;
        chat.element.querySelector(".console-actions").hidden = true;
        const note = document.createElement("p");
        note.textContent = phrase("Ended");
        chat.element.append(note);
      }
    });
  }

  function fillTransfer(chat) {
    const select = chat.element.querySelector(".transfer-to");
    select.replaceChildren();
    agents.forEach(function (agent) {
      const option = document.createElement("option");
      option.value = String(agent.id);
      option.textContent = agent.name;
      select.append(option);
    });
    chat.element.querySelector(".transfer").disabled = agents.length === 0;
  }

  function addChat(info) {
    const element = chatTemplate.content.firstElementChild.cloneNode(true);
    element.dataset.conversation = String(info.id);
    element.querySelector(".name").textContent = info.name;
    element.querySelector(".email").textContent = info.email;
    if (info.summary) {
      const summary = element.querySelector(".summary");
      summary.hidden = false;
      info.summary.devices.forEach(function (device) {
        const item = document.createElement("li");
        item.textContent = [device.number, device.serial, device.service_until ? phrase("Until", { date: device.service_until }) : ""]
          .filter(Boolean)
          .join(" · ");
        summary.querySelector(".devices").append(item);
      });
      info.summary.payments.forEach(function (payment) {
        const item = document.createElement("li");
        item.textContent = [payment.date, payment.amount, payment.status].join(" · ");
        summary.querySelector(".payments").append(item);
      });
      summary.querySelector(".customer-link").href = info.summary.url;
    }
    const cannedForm = element.querySelector(".canned");
    info.canned.forEach(function (canned) {
      const option = document.createElement("option");
      option.value = String(canned.id);
      option.textContent = canned.title;
      cannedForm.elements.canned.append(option);
    });
    cannedForm.hidden = info.canned.length === 0;
    cannedForm.addEventListener("submit", function (event) {
      event.preventDefault();
      send({ type: "canned", conversation: info.id, canned: Number(cannedForm.elements.canned.value) });
    });
    const imageForm = element.querySelector(".image");
    imageForm.elements.image.addEventListener("change", function () {
      if (!imageForm.elements.image.files.length) {
        return;
      }
      const url = root.dataset.imageUrl.replace("/0/", "/" + info.id + "/");
      fetch(url, { method: "POST", credentials: "same-origin", headers: { Accept: "application/json" }, body: new FormData(imageForm) })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, data: data };
          });
        })
        .then(function (result) {
          imageForm.reset();
          errorLine.textContent = result.ok ? "" : result.data.error || "";
        });
    });
    const chat = { element: element, lastSeq: 0, ended: false, typingSentAt: 0 };
    const form = element.querySelector(".reply");
    const text = form.elements.text;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const value = text.value.trim();
      if (value && send({ type: "message", conversation: info.id, text: value })) {
        text.value = "";
      }
    });
    text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    text.addEventListener("input", function () {
      const now = Date.now();
      if (now - chat.typingSentAt > 2000) {
        chat.typingSentAt = now;
        send({ type: "typing", conversation: info.id });
      }
    });
    element.querySelector(".transfer").addEventListener("click", function () {
      const to = Number(element.querySelector(".transfer-to").value);
      if (to) {
        send({ type: "transfer", conversation: info.id, agent: to });
      }
    });
    element.querySelector(".close").addEventListener("click", function () {
      send({ type: "close", conversation: info.id });
    });
    chats.set(info.id, chat);
    chatsBox.append(element);
    return chat;
  }

  function addMessage(chat, data) {
    const item = document.createElement("li");
    item.className = "chat-message chat-" + data.author;
    item.dataset.seq = String(data.seq);
    if (data.author === "system") {
      const events = { joined: "Joined", transferred: "Transferred", closed: "ClosedEvent" };
      item.textContent = phrase(events[data.event] || "ClosedEvent", { name: data.name });
    } else {
      const who = document.createElement("span");
      who.className = "chat-author";
      who.textContent = data.name + ": ";
      const body = document.createElement("span");
      body.className = "chat-text";
      body.textContent = data.text;
      item.append(who, body);
      if (data.image) {
        const picture = document.createElement("img");
        picture.src = data.image;
        picture.alt = phrase("Image", { name: data.name });
        picture.className = "chat-picture";
        item.append(picture);
      }
    }
    const log = chat.element.querySelector(".chat-log");
    log.append(item);
    log.scrollTop = log.scrollHeight;
  }

  presenceForm.addEventListener("input", function () {
    presenceChanging = true;
  });
  presenceForm.addEventListener("submit", function (event) {
    event.preventDefault();
    presenceChanging = false;
    send({
      type: "presence",
      status: presenceForm.elements.status.value,
      capacity: Number(presenceForm.elements.capacity.value),
    });
  });
  // The console says it is still open, so that the agent counts as online.
  window.setInterval(function () {
    send({ type: "ping" });
  }, 30000);
  connect();
})();
