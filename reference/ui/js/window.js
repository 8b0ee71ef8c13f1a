// Floating windows (compose, appointment and contact editors): a non-modal dialog with a title, a body, a
// footer with buttons and an error area. They live inside the main landmark and are removed on close.

import { $, alertBox, el, fill, uid } from "./dom.js";

export function openWindow({ className, title, body, buttons }) {
  const titleId = uid("window-title");
  const errors = el("div", { class: "window-errors" });
  const node = el("div", { class: `io-ox-window floating-window ${className}`, role: "dialog", "aria-labelledby": titleId },
    el("div", { class: "window-header" }, el("h2", { class: "window-title", id: titleId }, title)),
    el("div", { class: "window-body" }, errors, body),
    el("div", { class: "window-footer" }, buttons));
  $("#io-ox-windowmanager").append(node);
  return {
    element: node,
    close: () => node.remove(),
    error: (message) => (message ? fill(errors, alertBox(message)) : fill(errors)),
  };
}

/** Run `work` with the window's buttons disabled; errors are shown in the window and returned as false. */
export async function busyWindow(win, work) {
  const buttons = Array.from(win.element.querySelectorAll(".window-footer button"));
  buttons.forEach((button) => { button.disabled = true; });
  win.error(null);
  try {
    await work();
    return true;
  } catch (error) {
    win.error(error.message || String(error));
    return false;
  } finally {
    buttons.forEach((button) => { button.disabled = false; });
  }
}
