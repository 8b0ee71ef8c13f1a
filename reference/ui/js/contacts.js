// The Address Book app: the contacts of the user's default contact folder (contacts?action=all), the selected
// contact (.contact-detail with .contact-header .fullname), and the editor (.io-ox-contacts-edit-window).

import { request } from "./api.js";
import { alertBox, el, field, fill } from "./dom.js";
import { ListView } from "./listview.js";
import { busyWindow, openWindow } from "./window.js";
import { state } from "./session.js";

const COLUMNS = [1, 20, 500, 501, 502, 555, 569];
const NAMES = ["id", "folder_id", "display_name", "first_name", "last_name", "email1", "company"];

let list = null;
let detail = null;
let notice = null;
let shown = null;

export function fullName(contact) {
  return [contact.first_name, contact.last_name].filter(Boolean).join(" ") || contact.display_name || contact.email1 || "";
}

function sortKey(contact) {
  return `${contact.last_name || contact.display_name || ""} ${contact.first_name || ""}`.toLowerCase();
}

function emptyDetail() {
  fill(detail, el("p", { class: "empty-pane" }, "No contact selected"));
}

export const contactsApp = {
  id: "io.ox/contacts",
  title: "Address Book",
  windowClass: "io-ox-contacts-window",

  mount(container) {
    list = new ListView({
      label: "Contacts",
      className: "contact-list",
      cid: (contact) => `${contact.folder_id}.${contact.id}`,
      render: (contact) => [el("div", { class: "fullname" }, fullName(contact) || "(no name)"),
        contact.email1 ? el("div", { class: "email" }, contact.email1) : null],
      onSelect: (contact) => showContact(contact),
      empty: "No contacts in this folder",
    });
    detail = el("section", { class: "rightside contact-detail", "aria-label": "Contact", "aria-live": "polite" });
    notice = el("div", { class: "list-notice" });
    fill(container,
      el("h1", { class: "sr-only" }, "Address Book"),
      el("div", { class: "classic-toolbar", role: "toolbar", "aria-label": "Address Book actions" },
        el("button", { type: "button", class: "btn btn-primary", dataset: { action: "io.ox/contacts/actions/create" },
          onclick: () => openEditor() }, "New contact")),
      el("div", { class: "window-content" },
        el("section", { class: "leftside", "aria-labelledby": "io-ox-contacts-folder-title" },
          el("h2", { class: "folder-title", id: "io-ox-contacts-folder-title" }, "Contacts"),
          notice, list.element, list.emptyNote),
        detail));
    emptyDetail();
  },

  async refresh() {
    try {
      const rows = await request("contacts", { params: { action: "all", folder: String(state.folders.contacts),
        columns: COLUMNS.join(","), sort: "502", order: "asc" } });
      const contacts = rows.map((row) => Object.fromEntries(NAMES.map((name, i) => [name, row[i]])));
      contacts.sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
      fill(notice);
      list.setItems(contacts);
    } catch (error) {
      if (error.code !== "SES-GIVEUP") fill(notice, alertBox(`The contacts cannot be loaded: ${error.message}`));
    }
  },

  reset() {
    list.clear();
    shown = null;
    fill(notice);
    emptyDetail();
  },
};

async function showContact(contact) {
  const cid = `${contact.folder_id}.${contact.id}`;
  shown = cid;
  let full = contact;
  try {
    full = await request("contacts", { params: { action: "get", folder: contact.folder_id, id: contact.id } });
  } catch (error) {
    if (error.code === "SES-GIVEUP") return;
  }
  if (shown !== cid) return;
  const rows = [["Email", full.email1, "email"], ["Phone (business)", full.telephone_business1, "phone"],
    ["Note", full.note, "note"]].filter(([, value]) => value);
  fill(detail, el("article", { class: "contact-view" },
    el("div", { class: "contact-header" },
      el("h2", { class: "fullname" }, fullName(full) || "(no name)"),
      full.company ? el("div", { class: "company" }, full.company) : null),
    rows.length ? el("dl", { class: "contact-fields" }, rows.map(([label, value, name]) =>
      [el("dt", {}, label), el("dd", { class: name }, value)])) : null));
}

function openEditor() {
  const existing = document.querySelector(".io-ox-contacts-edit-window");
  if (existing) {
    existing.querySelector('[name="first_name"]').focus();
    return;
  }
  const first = field("First name", { type: "text", name: "first_name", autocomplete: "off" });
  const last = field("Last name", { type: "text", name: "last_name", autocomplete: "off" });
  const email = field("Email", { type: "email", name: "email1", autocomplete: "off" });
  const company = field("Company", { type: "text", name: "company", autocomplete: "off" });
  const save = el("button", { type: "button", class: "btn btn-primary", dataset: { action: "save" } }, "Save");
  const discard = el("button", { type: "button", class: "btn btn-default", dataset: { action: "discard" } }, "Discard");
  const win = openWindow({
    className: "io-ox-contacts-edit-window",
    title: "Create contact",
    body: el("div", { class: "edit-fields" }, first.group, last.group, email.group, company.group),
    buttons: [save, discard],
  });
  discard.addEventListener("click", () => win.close());
  save.addEventListener("click", async () => {
    const contact = { folder_id: String(state.folders.contacts), first_name: first.control.value.trim(),
      last_name: last.control.value.trim(), email1: email.control.value.trim(), company: company.control.value.trim() };
    if (!contact.first_name && !contact.last_name && !contact.email1) {
      win.error("Please enter a name or an email address.");
      first.control.focus();
      return;
    }
    contact.display_name = contact.last_name && contact.first_name ? `${contact.last_name}, ${contact.first_name}`
      : contact.last_name || contact.first_name || contact.email1;
    for (const name of Object.keys(contact)) if (contact[name] === "") delete contact[name];
    let created = null;
    const saved = await busyWindow(win, async () => {
      created = await request("contacts", { method: "PUT", params: { action: "new" }, json: contact });
    });
    if (!saved) return;
    win.close();
    await contactsApp.refresh();
    const cid = `${contact.folder_id}.${created.id}`;
    const item = list.item(cid);
    list.mark(cid);
    await showContact(item || { ...contact, id: created.id });
  });
  first.control.focus();
}
