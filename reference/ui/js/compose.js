// The compose window (.io-ox-mail-compose-window): To, Subject, a plain-text body; Send posts mail?action=new
// (form field json_0, as App Suite does) and closes the window.

import { request } from "./api.js";
import { el, field } from "./dom.js";
import { busyWindow, openWindow } from "./window.js";
import { state } from "./session.js";

export function parseRecipients(text) {
  return text.split(/[,;]/).map((part) => part.trim()).filter(Boolean).map((part) => {
    const match = part.match(/^(.*)<([^>]+)>$/);
    return match ? [match[1].trim().replace(/^"|"$/g, ""), match[2].trim()] : ["", part];
  });
}

export function openCompose({ onSent = () => {} } = {}) {
  const existing = document.querySelector(".io-ox-mail-compose-window");
  if (existing) {
    existing.querySelector('[name="to"]').focus();
    return;
  }
  const to = field("To", { type: "text", name: "to", placeholder: "To", autocomplete: "email", spellcheck: "false" });
  const subject = field("Subject", { type: "text", name: "subject", placeholder: "Subject" });
  const body = field("Message", { name: "content", class: "form-control plain-text", rows: "12" }, "textarea");
  const send = el("button", { type: "button", class: "btn btn-primary", dataset: { action: "send" } }, "Send");
  const discard = el("button", { type: "button", class: "btn btn-default", dataset: { action: "discard" } }, "Discard");
  const win = openWindow({
    className: "io-ox-mail-compose-window",
    title: "New email",
    body: el("div", { class: "compose-fields" }, to.group, subject.group, body.group),
    buttons: [send, discard],
  });
  discard.addEventListener("click", () => win.close());
  send.addEventListener("click", async () => {
    const recipients = parseRecipients(to.control.value);
    if (!recipients.length) {
      win.error("Please add at least one recipient.");
      to.control.focus();
      return;
    }
    const mail = {
      from: [[state.displayName || "", state.email]],
      to: recipients,
      subject: subject.control.value,
      attachments: [{ content_type: "text/plain", content: body.control.value }],
    };
    const form = new FormData();
    form.append("json_0", JSON.stringify(mail));
    const sent = await busyWindow(win, () => request("mail", { method: "POST", params: { action: "new" }, form }));
    if (sent) {
      win.close();
      onSent();
    }
  });
  to.control.focus();
}
