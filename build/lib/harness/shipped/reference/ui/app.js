// The reference UI: login (with autologin), the inbox list, a message, compose and send.
// It talks to the OX HTTP API of the middleware exactly as App Suite does (same origin, /appsuite/api).
"use strict";
const API = "/appsuite/api";
const CLIENT = "open-xchange-appsuite";
let session = null;
let selected = null;

const $ = (selector) => document.querySelector(selector);

async function call(method, module, params, body) {
  const query = new URLSearchParams({ ...params, ...(session ? { session } : {}) });
  const response = await fetch(`${API}/${module}?${query}`, {
    method, credentials: "same-origin", body,
    headers: body && !(body instanceof FormData) && !(body instanceof URLSearchParams) ? { "Content-Type": "application/json" } : {},
  });
  const text = await response.text();
  const callback = text.match(/\((\{.*\})\)\s*<\/script>/s);
  const payload = callback ? JSON.parse(callback[1]) : (text ? JSON.parse(text) : {});
  if (payload && payload.error) throw Object.assign(new Error(payload.error), payload);
  return payload && "data" in payload ? payload.data : payload;
}

function feedback(message) {
  const box = $("#io-ox-login-feedback");
  box.innerHTML = "";
  if (!message) return;
  const alert = document.createElement("div");
  alert.className = "alert alert-danger";
  alert.textContent = message;
  box.appendChild(alert);
}

function showCore(login) {
  session = login.session;
  $("#io-ox-user").textContent = login.user;
  $("#io-ox-login-screen").hidden = true;
  $("#io-ox-core").hidden = false;
  loadInbox();
}

async function login(event) {
  event.preventDefault();
  feedback(null);
  const form = new URLSearchParams({
    name: $("#io-ox-login-username").value, password: $("#io-ox-login-password").value, client: CLIENT,
    staySignedIn: $("#io-ox-login-store-box").checked ? "true" : "false",
  });
  try {
    const data = await call("POST", "login", { action: "login" }, form);
    if ($("#io-ox-login-store-box").checked) {
      session = data.session;
      await call("GET", "login", { action: "store" });
    }
    showCore(data);
  } catch (error) {
    feedback(error.error || String(error));
  }
}

function address(list) {
  return (list || []).map(([name, mail]) => name || mail).join(", ");
}

async function loadInbox() {
  const rows = await call("GET", "mail", { action: "all", folder: "default0/INBOX", columns: "600,601,603,607,610,611" });
  const list = $('[data-ref="io.ox/mail/listview"] .list-view');
  list.innerHTML = "";
  for (const [id, folder, from, subject, received, flags] of rows) {
    const item = document.createElement("li");
    item.className = "list-item selectable" + (flags & 32 ? "" : " unread");
    item.dataset.cid = `${folder}.${id}`;
    item.setAttribute("role", "option");
    item.innerHTML = '<div class="from"></div><div class="subject"></div><div class="date"></div>';
    item.querySelector(".from").textContent = address(from);
    item.querySelector(".subject").textContent = subject || "(no subject)";
    item.querySelector(".date").textContent = received ? new Date(received).toLocaleString() : "";
    item.addEventListener("click", () => openMail(item, folder, id));
    list.appendChild(item);
  }
}

async function openMail(item, folder, id) {
  if (selected) selected.classList.remove("selected");
  selected = item;
  item.classList.add("selected");
  item.classList.remove("unread");
  const mail = await call("GET", "mail", { action: "get", folder, id });
  const pane = $(".rightside.mail-detail-pane");
  pane.innerHTML = '<article class="mail-detail"><h2 class="subject"></h2><div class="from"></div><div class="body"></div></article>';
  pane.querySelector(".subject").textContent = mail.subject;
  pane.querySelector(".from").textContent = address(mail.from);
  const text = (mail.attachments || []).find((part) => part.content_type && part.content_type.startsWith("text/"));
  pane.querySelector(".body").textContent = text ? text.content : "";
}

function compose(open) {
  const window_ = $(".io-ox-mail-compose-window");
  window_.hidden = !open;
  if (open) window_.querySelectorAll("input, textarea").forEach((field) => { field.value = ""; });
}

async function send() {
  const window_ = $(".io-ox-mail-compose-window");
  const to = window_.querySelector('[placeholder="To"]').value.split(",").map((s) => s.trim()).filter(Boolean);
  const mail = {
    to: to.map((addr) => ["", addr]), subject: window_.querySelector('[placeholder="Subject"]').value,
    attachments: [{ content_type: "text/plain", content: window_.querySelector("textarea").value }],
  };
  const form = new FormData();
  form.append("json_0", JSON.stringify(mail));
  await call("POST", "mail", { action: "new" }, form);
  compose(false);
  loadInbox();
}

async function logout() {
  try { await call("GET", "login", { action: "logout" }); } catch (error) { /* the session is gone anyway */ }
  session = null;
  $("#io-ox-core").hidden = true;
  $("#io-ox-login-screen").hidden = false;
}

document.addEventListener("DOMContentLoaded", async () => {
  $("#io-ox-login-form").addEventListener("submit", login);
  document.querySelector('[data-action="compose"]').addEventListener("click", () => compose(true));
  document.querySelector('[data-action="discard"]').addEventListener("click", () => compose(false));
  document.querySelector('.btn[data-action="send"]').addEventListener("click", () => send().catch((e) => alert(e.message)));
  document.querySelector('[data-action="refresh"]').addEventListener("click", loadInbox);
  document.querySelector('[data-action="logout"]').addEventListener("click", logout);
  try {
    showCore(await call("GET", "login", { action: "autologin", client: CLIENT }));
  } catch (error) { /* not signed in yet: the login screen stays */ }
});
