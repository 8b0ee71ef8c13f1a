// The relogin dialog (.modal.relogin): opened when a call answers a session error (SES-*). The user enters the
// password again; the calls that failed or came meanwhile wait and are sent again with the new session.

import { onSessionExpired } from "./api.js";
import { $, alertBox, el, fill } from "./dom.js";
import { loginMessage } from "./login.js";
import * as session from "./session.js";

let giveUp = () => {};

/** Register the dialog with the API client; `onGiveUp` signs the user out when they do not want to go on. */
export function installRelogin(onGiveUp) {
  giveUp = onGiveUp;
  onSessionExpired(open);
}

function open() {
  if (!session.state.user || $("#io-ox-core").hidden) {
    // a late answer after sign-out: nobody to sign in again
    const error = new Error("Not signed in.");
    error.code = "SES-GIVEUP";
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    const feedback = el("div", { class: "feedback" });
    const password = el("input", { type: "password", id: "relogin-password", name: "relogin-password",
      class: "form-control", autocomplete: "current-password", required: true });
    const submit = el("button", { type: "submit", class: "btn btn-primary", dataset: { action: "relogin" } }, "Sign in");
    const cancel = el("button", { type: "button", class: "btn btn-default", dataset: { action: "cancel" } }, "Sign out");
    const form = el("form", { class: "modal-content", novalidate: true },
      el("div", { class: "modal-header" }, el("h1", { class: "modal-title", id: "relogin-title" }, "Your session has expired")),
      el("div", { class: "modal-body" },
        el("p", { id: "relogin-description" }, `Please enter the password of ${session.state.user} to continue.`),
        feedback,
        el("div", { class: "form-group" }, el("label", { for: "relogin-password" }, "Password"), password)),
      el("div", { class: "modal-footer" }, cancel, submit));
    const modal = el("div", { class: "modal relogin", role: "dialog", "aria-modal": "true",
      "aria-labelledby": "relogin-title", "aria-describedby": "relogin-description" },
    el("div", { class: "modal-dialog" }, form));
    const backdrop = el("div", { class: "modal-backdrop" });
    const core = $("#io-ox-core");

    function close() {
      modal.remove();
      backdrop.remove();
      core.inert = false;
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!password.value) {
        fill(feedback, alertBox("Please enter your password."));
        password.focus();
        return;
      }
      submit.disabled = true;
      fill(feedback);
      try {
        await session.relogin(password.value);
      } catch (error) {
        fill(feedback, alertBox(loginMessage(error)));
        password.select();
        return;
      } finally {
        submit.disabled = false;
      }
      close();
      resolve();
    });
    cancel.addEventListener("click", () => {
      close();
      const error = new Error("The session expired and the user signed out.");
      error.code = "SES-GIVEUP";
      reject(error);
      giveUp();
    });

    core.inert = true;
    document.body.append(backdrop, modal);
    password.focus();
  });
}
