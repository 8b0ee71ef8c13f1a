// The shell around the apps (#io-ox-core): the top bar with the app launcher (#io-ox-launcher), the refresh
// icon (#io-ox-refresh-icon), the account menu (#io-ox-topbar-account-dropdown-icon, Sign out), and one window
// per app inside the main landmark, of which one is shown. Apps refresh every 5 minutes, as App Suite's do.

import { $, $$, el, fill } from "./dom.js";
import { dropdown } from "./dropdown.js";
import { state } from "./session.js";
import { mailApp } from "./mail.js";
import { calendarApp } from "./calendar.js";
import { contactsApp } from "./contacts.js";
import { driveApp } from "./drive.js";

export const APPS = [mailApp, calendarApp, contactsApp, driveApp];
const REFRESH_INTERVAL_MS = 5 * 60 * 1000;

let current = null;
let refreshTimer = null;
let onSignOut = () => {};

/** Build the app windows and wire the top bar once; `signOut` runs when the user picks "Sign out". */
export function installShell(signOut) {
  onSignOut = signOut;
  const manager = $("#io-ox-windowmanager");
  const menu = $("#io-ox-launcher .dropdown-menu");
  for (const app of APPS) {
    const container = el("div", { class: `io-ox-window window-container ${app.windowClass}`, dataset: { appName: app.id },
      hidden: true });
    manager.append(container);
    app.container = container;
    app.mount(container);
    menu.append(el("li", { role: "presentation" }, el("a", { href: `#!&app=${app.id}`, role: "menuitem",
      class: "launcher-item", dataset: { appName: app.id }, onclick: (event) => { event.preventDefault(); openApp(app.id); } },
    app.title)));
  }
  dropdown($("#io-ox-launcher"));
  dropdown($("#io-ox-topbar-account-dropdown-icon"));
  $("#io-ox-refresh-icon").addEventListener("click", () => refresh());
  $('#io-ox-topbar-account-dropdown-icon a[data-name="logout"]').addEventListener("click", (event) => {
    event.preventDefault();
    onSignOut();
  });
  window.addEventListener("hashchange", () => {
    const wanted = appFromHash();
    if (wanted && (!current || wanted.id !== current.id) && !$("#io-ox-core").hidden) openApp(wanted.id);
  });
}

function appFromHash() {
  const match = /app=([^&]+)/.exec(location.hash);
  return match ? APPS.find((app) => app.id === decodeURIComponent(match[1])) : null;
}

/** Show the shell for the signed-in user, with the app the address names (or Mail). */
export async function startShell() {
  const name = state.displayName || state.user;
  const initials = name.split(/[\s@.]+/).filter(Boolean).slice(0, 2).map((part) => part[0].toUpperCase()).join("");
  fill($("#io-ox-topbar-account-dropdown-icon .initials"), initials || "?");
  const toggle = $("#io-ox-topbar-account-dropdown-icon .dropdown-toggle");
  toggle.setAttribute("aria-label", `My account: ${name}`);
  toggle.title = state.email ? `${name} (${state.email})` : name;
  $("#io-ox-core").hidden = false;
  clearInterval(refreshTimer);
  refreshTimer = setInterval(() => refresh(), REFRESH_INTERVAL_MS);
  await openApp((appFromHash() || mailApp).id);
}

export function stopShell() {
  clearInterval(refreshTimer);
  refreshTimer = null;
  current = null;
  $$("#io-ox-windowmanager .floating-window").forEach((node) => node.remove());
  for (const app of APPS) {
    app.container.hidden = true;
    app.reset();
  }
  $("#io-ox-core").hidden = true;
}

export async function openApp(id) {
  const app = APPS.find((candidate) => candidate.id === id) || mailApp;
  current = app;
  for (const other of APPS) other.container.hidden = other !== app;
  fill($("#io-ox-current-app"), app.title);
  document.title = `${app.title} - OX App Suite`;
  history.replaceState(null, "", `#!&app=${app.id}`);
  await app.refresh();
}

/** Refresh the current app (the refresh icon, and every 5 minutes). */
export async function refresh() {
  if (!current) return;
  const icon = $("#io-ox-refresh-icon");
  icon.classList.add("refreshing");
  try {
    await current.refresh();
  } finally {
    icon.classList.remove("refreshing");
  }
}
