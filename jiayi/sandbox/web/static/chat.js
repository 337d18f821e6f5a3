// The sandbox web chat: renders one persona's Telegram chat with the bot and sends what the
// visitor types or presses. Every text from the bot is put in the page as text nodes, with
// Telegram's entities mapped to a fixed set of elements, so bot HTML can never run here.
"use strict";

const state = { personas: [], persona: null, version: "", seenToasts: new Set(), poll: 0 };
const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch(path, init);
  if (!response.ok) {
    let reason = response.statusText;
    try { reason = (await response.json()).error || reason; } catch (e) { /* not JSON */ }
    throw new Error(reason);
  }
  return response.json();
}

// ---------------------------------------------------------------- rendering entities

const SAFE_URL = /^(https?:|tg:|mailto:)/i;

function elementFor(entity, text) {
  const tags = { bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code",
    pre: "pre", blockquote: "blockquote", expandable_blockquote: "blockquote" };
  if (tags[entity.type]) return document.createElement(tags[entity.type]);
  if (entity.type === "text_link" || entity.type === "url") {
    const href = entity.type === "url"
      ? text.slice(entity.offset, entity.offset + entity.length) : entity.url;
    if (href && SAFE_URL.test(href)) {
      const a = document.createElement("a");
      a.href = href; a.target = "_blank"; a.rel = "noopener noreferrer";
      return a;
    }
  }
  if (entity.type === "spoiler") {
    const span = document.createElement("span");
    span.className = "spoiler";
    span.addEventListener("click", () => span.classList.add("shown"));
    return span;
  }
  return document.createElement("span");
}

// Entity offsets are UTF-16 code units, which is what JavaScript string indices count.
function renderText(text, entities) {
  const fragment = document.createDocumentFragment();
  const sorted = [...(entities || [])].sort((a, b) => a.offset - b.offset || b.length - a.length);
  function build(parent, start, end, list) {
    let pos = start;
    let i = 0;
    while (i < list.length) {
      const entity = list[i];
      if (entity.offset >= end) break;
      const from = Math.max(entity.offset, pos);
      const to = Math.min(entity.offset + entity.length, end);
      let j = i + 1;
      const inner = [];
      while (j < list.length && list[j].offset < to) { inner.push(list[j]); j++; }
      if (from > pos) parent.appendChild(document.createTextNode(text.slice(pos, from)));
      if (to > from) {
        const el = elementFor(entity, text);
        build(el, from, to, inner);
        parent.appendChild(el);
      }
      pos = Math.max(pos, to);
      i = j;
    }
    if (pos < end) parent.appendChild(document.createTextNode(text.slice(pos, end)));
  }
  build(fragment, 0, text.length, sorted);
  return fragment;
}

function formatSize(bytes) {
  if (bytes == null) return "";
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

function renderMessage(message) {
  const box = document.createElement("div");
  box.className = `msg ${message.from}`;
  box.dataset.id = message.id;
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  if (message.from === "user") {
    bubble.textContent = message.text;
  } else if (message.kind === "photo") {
    const img = document.createElement("img");
    img.className = "photo";
    img.alt = message.text || "photo";
    if (message.file && message.file.url) img.src = message.file.url;
    bubble.appendChild(img);
  } else if (message.kind === "document") {
    const link = document.createElement("a");
    link.className = "document";
    if (message.file && message.file.url) {
      link.href = message.file.url;
      link.download = message.file.name || "";
    }
    const icon = document.createElement("span");
    icon.className = "icon"; icon.textContent = "⬇";
    const meta = document.createElement("span");
    const name = document.createElement("div");
    name.className = "doc-name"; name.textContent = (message.file && message.file.name) || "file";
    const size = document.createElement("div");
    size.className = "doc-size"; size.textContent = formatSize(message.file && message.file.size);
    meta.append(name, size);
    link.append(icon, meta);
    bubble.appendChild(link);
  }
  if (message.from === "bot") {
    const text = document.createElement("div");
    text.className = message.kind === "text" ? "text" : "text caption";
    if (message.text) text.appendChild(renderText(message.text, message.entities));
    if (message.text || message.kind === "text") bubble.appendChild(text);
    if (message.edited) {
      const edited = document.createElement("span");
      edited.className = "edited"; edited.textContent = "edited";
      text.appendChild(edited);
    }
  }
  box.appendChild(bubble);
  if (message.buttons && message.buttons.length) {
    const keyboard = document.createElement("div");
    keyboard.className = "keyboard";
    for (const row of message.buttons) {
      const rowEl = document.createElement("div");
      rowEl.className = "kb-row";
      for (const button of row) {
        const el = document.createElement("button");
        el.type = "button";
        el.className = "kb";
        el.textContent = button.text;
        if (button.url) {
          el.addEventListener("click", () => window.open(button.url, "_blank", "noopener"));
        } else if (button.data) {
          el.addEventListener("click", () => press(message.id, button.data, el));
        }
        rowEl.appendChild(el);
      }
      keyboard.appendChild(rowEl);
    }
    box.appendChild(keyboard);
  }
  return box;
}

function renderChat(chat) {
  const list = $("messages");
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.replaceChildren();
  if (!chat.messages.length) {
    const empty = document.createElement("div");
    empty.className = "empty";
    empty.textContent = "No messages yet. Send /start, or open the menu.";
    list.appendChild(empty);
  }
  for (const message of chat.messages) list.appendChild(renderMessage(message));
  if (nearBottom || state.scrollNext) list.scrollTop = list.scrollHeight;
  state.scrollNext = false;
  renderCommands(chat.commands);
  renderReplyKeyboard(chat.keyboard, chat.contact_buttons || []);
  renderClock(chat.clock);
  for (const toast of chat.toasts) {
    if (state.seenToasts.has(toast.id)) continue;
    state.seenToasts.add(toast.id);
    if (!state.firstLoad) showToast(toast.text, toast.alert);
  }
  state.firstLoad = false;
}

function renderCommands(commands) {
  const menu = $("commands-menu");
  menu.replaceChildren();
  for (const command of commands) {
    const item = document.createElement("button");
    item.type = "button";
    const name = document.createElement("span");
    name.className = "cmd"; name.textContent = `/${command.command}`;
    const description = document.createElement("span");
    description.textContent = command.description;
    item.append(name, description);
    item.addEventListener("click", () => { menu.hidden = true; send(`/${command.command}`); });
    menu.appendChild(item);
  }
  $("menu-button").hidden = !commands.length;
}

function renderReplyKeyboard(rows, contactButtons) {
  const box = $("reply-keyboard");
  box.replaceChildren();
  box.hidden = !rows.length;
  for (const row of rows) {
    const rowEl = document.createElement("div");
    rowEl.className = "kb-row";
    for (const text of row) {
      const button = document.createElement("button");
      button.type = "button"; button.textContent = text;
      if (contactButtons.includes(text)) {
        button.className = "contact";
        button.addEventListener("click", () => shareContact());
      } else {
        button.addEventListener("click", () => send(text));
      }
      rowEl.appendChild(button);
    }
    box.appendChild(rowEl);
  }
}

function renderClock(clock) {
  $("clock-now").textContent = `${clock.weekday} ${clock.local}`;
  $("clock-zone").textContent = clock.zone;
}

function showToast(text, alert) {
  if (alert) { window.alert(text); return; }
  const toast = $("toast");
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(state.toastTimer);
  state.toastTimer = setTimeout(() => { toast.hidden = true; }, 3000);
}

function renderPersonas() {
  const list = $("personas");
  list.replaceChildren();
  for (const persona of state.personas) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.id = `persona-${persona.key}`;
    button.className = state.persona && state.persona.key === persona.key ? "active" : "";
    const name = document.createElement("span");
    name.className = "persona-name"; name.textContent = `${persona.name} · ${persona.role}`;
    const about = document.createElement("span");
    about.className = "about"; about.textContent = persona.about;
    button.append(name, about);
    button.addEventListener("click", () => choosePersona(persona.key));
    item.appendChild(button);
    list.appendChild(item);
  }
}

// ---------------------------------------------------------------- actions

async function refresh() {
  const persona = state.persona;
  const chat = await api(`/api/chats/${persona.id}`);
  if (persona !== state.persona) return;
  state.version = chat.version;
  renderChat(chat);
}

async function pollLoop() {
  const ticket = ++state.poll;
  while (ticket === state.poll) {
    try {
      const { version } = await api(
        `/api/chats/${state.persona.id}/wait?v=${encodeURIComponent(state.version)}`);
      if (ticket !== state.poll) return;
      if (version !== state.version) await refresh();
    } catch (error) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

async function choosePersona(key) {
  const persona = state.personas.find((p) => p.key === key) || state.personas[0];
  state.persona = persona;
  state.version = "";
  state.firstLoad = true;
  state.scrollNext = true;
  history.replaceState(null, "", `#${persona.key}`);
  $("whoami").textContent = `${persona.name} (${persona.role})`;
  $("commands-menu").hidden = true;
  renderPersonas();
  await refresh();
  pollLoop();
}

async function send(text) {
  state.scrollNext = true;
  try {
    await api(`/api/chats/${state.persona.id}/messages`, { text });
  } catch (error) {
    showToast(`Not sent: ${error.message}`);
  }
}

async function shareContact() {
  state.scrollNext = true;
  try {
    await api(`/api/chats/${state.persona.id}/contact`, {});
  } catch (error) {
    showToast(`Not sent: ${error.message}`);
  }
}

async function press(messageId, data, button) {
  button.disabled = true;
  state.scrollNext = true;
  try {
    await api(`/api/chats/${state.persona.id}/presses`, { message_id: messageId, data });
  } catch (error) {
    showToast(error.message);
  } finally {
    button.disabled = false;
  }
}

async function advance(minutes) {
  const status = $("clock-status");
  status.textContent = "Running the scheduler…";
  try {
    const result = await api("/api/clock", { minutes });
    renderClock(result);
    status.textContent = result.sent
      ? `${result.sent} message(s) delivered` : "Nothing was due";
    state.scrollNext = true;
    await refresh();
  } catch (error) {
    status.textContent = error.message;
  }
}

// ---------------------------------------------------------------- wiring

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("composer-input");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  send(text);
});
$("menu-button").addEventListener("click", () => {
  $("commands-menu").hidden = !$("commands-menu").hidden;
});
for (const button of document.querySelectorAll(".clock-buttons button")) {
  button.addEventListener("click", () => advance(Number(button.dataset.minutes)));
}
$("advance-custom").addEventListener("submit", (event) => {
  event.preventDefault();
  const hours = Math.round(Number($("advance-hours").value));
  if (hours >= 1) advance(hours * 60);
});

(async function main() {
  state.personas = await api("/api/personas");
  await choosePersona(location.hash.slice(1) || "new");
})();
