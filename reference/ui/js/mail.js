// The Mail app: the inbox list ([data-ref="io.ox/mail/listview"] .list-view) and the message on the right
// (.rightside.mail-detail-pane). Lists with mail?action=all, opens with mail?action=get (which marks it seen).

import { request } from "./api.js";
import { alertBox, el, fill } from "./dom.js";
import { ListView } from "./listview.js";
import { openCompose } from "./compose.js";
import { formatDateTime, formatShort } from "./dates.js";
import { state } from "./session.js";

// The columns App Suite's mail list asks for (oxref answers null for the ones it does not fill).
const COLUMNS = "102,600,601,602,603,604,605,606,607,608,610,611,614,652";
const NAMES = { 600: "id", 601: "folder_id", 602: "attachment", 603: "from", 604: "to", 607: "subject", 610: "received_date", 611: "flags" };
const SEEN = 32;

let list = null;
let pane = null;
let notice = null;
let opened = null; // cid of the message in the pane

function toMail(row) {
  const mail = {};
  COLUMNS.split(",").forEach((column, index) => {
    if (NAMES[column]) mail[NAMES[column]] = row[index];
  });
  return mail;
}

export function addressText(list_) {
  return (list_ || []).map(([name, address]) => name || address).join(", ");
}

function render(mail) {
  const unread = !(mail.flags & SEEN);
  return [
    unread ? el("span", { class: "sr-only unread-label" }, "Unread") : null,
    el("div", { class: "list-item-row" },
      el("span", { class: "from" }, addressText(mail.from) || "(unknown sender)"),
      el("time", { class: "date", datetime: mail.received_date ? new Date(mail.received_date).toISOString() : null },
        formatShort(mail.received_date))),
    el("div", { class: "subject" }, mail.subject || "(no subject)"),
  ];
}

function emptyPane() {
  fill(pane, el("p", { class: "empty-pane" }, "No message selected"));
}

export const mailApp = {
  id: "io.ox/mail",
  title: "Mail",
  windowClass: "io-ox-mail-window",

  mount(container) {
    list = new ListView({
      label: "Messages in Inbox",
      className: "mail-item",
      cid: (mail) => `${mail.folder_id}.${mail.id}`,
      render,
      decorate: (li, mail) => li.classList.toggle("unread", !(mail.flags & SEEN)),
      onSelect: (mail, li) => openMail(mail, li),
      empty: "No messages in this folder",
    });
    pane = el("section", { class: "rightside mail-detail-pane", "aria-label": "Message", "aria-live": "polite" });
    notice = el("div", { class: "list-notice" });
    fill(container,
      el("h1", { class: "sr-only" }, "Mail"),
      el("div", { class: "classic-toolbar", role: "toolbar", "aria-label": "Mail actions" },
        el("button", { type: "button", class: "btn btn-primary", dataset: { action: "io.ox/mail/actions/compose" },
          onclick: () => openCompose({ onSent: () => mailApp.refresh() }) }, "Compose")),
      el("div", { class: "window-content" },
        el("section", { class: "leftside", dataset: { ref: "io.ox/mail/listview" }, "aria-labelledby": "io-ox-mail-folder-title" },
          el("h2", { class: "folder-title", id: "io-ox-mail-folder-title" }, "Inbox"),
          notice, list.element, list.emptyNote),
        pane));
    emptyPane();
  },

  async refresh() {
    try {
      const rows = await request("mail", { params: { action: "all", folder: state.folders.mail, columns: COLUMNS,
        sort: "610", order: "desc", limit: "0,50" } });
      fill(notice);
      list.setItems(rows.map(toMail).sort((a, b) => (b.received_date || 0) - (a.received_date || 0)).slice(0, 50));
    } catch (error) {
      if (error.code !== "SES-GIVEUP") fill(notice, alertBox(`The messages cannot be loaded: ${error.message}`));
    }
  },

  reset() {
    list.clear();
    opened = null;
    fill(notice);
    emptyPane();
  },
};

async function openMail(mail, li) {
  const cid = `${mail.folder_id}.${mail.id}`;
  opened = cid;
  fill(pane, el("p", { class: "empty-pane" }, "Loading…"));
  let full;
  try {
    full = await request("mail", { params: { action: "get", folder: mail.folder_id, id: mail.id } });
  } catch (error) {
    if (opened === cid && error.code !== "SES-GIVEUP") fill(pane, alertBox(`The message cannot be opened: ${error.message}`));
    return;
  }
  if (opened !== cid) return; // another message was opened meanwhile
  mail.flags |= SEEN;
  const node = list.node(cid) || li; // a refresh may have drawn the list again meanwhile
  node.classList.remove("unread");
  node.querySelector(".unread-label")?.remove();
  fill(pane, el("article", { class: "mail-detail" },
    el("h2", { class: "subject" }, full.subject || "(no subject)"),
    el("dl", { class: "mail-headers" },
      el("dt", {}, "From"), el("dd", { class: "from" }, addressText(full.from)),
      el("dt", {}, "To"), el("dd", { class: "to" }, addressText(full.to)),
      full.cc && full.cc.length ? [el("dt", {}, "Copy"), el("dd", { class: "cc" }, addressText(full.cc))] : null,
      el("dt", {}, "Date"), el("dd", { class: "date" }, formatDateTime(full.received_date || full.sent_date))),
    el("div", { class: "mail-detail-content plain-text" }, bodyText(full))));
}

function bodyText(mail) {
  const parts = (mail.attachments || []).filter((part) => typeof part.content === "string");
  const plain = parts.find((part) => part.content_type === "text/plain");
  if (plain) return plain.content;
  const html = parts.find((part) => part.content_type === "text/html");
  if (html) return new DOMParser().parseFromString(html.content, "text/html").body.textContent || "";
  return "";
}
