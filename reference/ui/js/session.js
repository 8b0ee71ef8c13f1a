// The signed-in session: login (with rampup), autologin from the session cookie, relogin, logout.
// After a login the rampup batch (one PUT multiple) and the configuration give the user and their folders.

import { CLIENT, request, setSession } from "./api.js";

export const state = {
  id: null,
  user: "", // the login name, used again by relogin
  userId: null,
  contextId: null,
  locale: "en_US",
  displayName: "",
  email: "",
  folders: { mail: "default0/INBOX", calendar: null, contacts: null, infostore: null },
};

const JSLOBS = ["io.ox/core", "io.ox/core/updates", "io.ox/mail", "io.ox/calendar", "io.ox/contacts", "io.ox/files"];

function adopt(login) {
  Object.assign(state, { id: login.session, user: login.user, userId: login.user_id, contextId: login.context_id,
    locale: login.locale || "en_US" });
  setSession(login.session);
}

function loginRequest(name, password, staySignedIn) {
  const form = new URLSearchParams({ name, password, client: CLIENT, rampup: "true",
    staySignedIn: staySignedIn ? "true" : "false" });
  return request("login", { method: "POST", params: { action: "login" }, form, session: false });
}

/** Sign in with name and password; resolves once the rampup is done. */
export async function login(name, password, staySignedIn) {
  adopt(await loginRequest(name, password, staySignedIn));
  await rampup();
  return state;
}

/** Sign in from the session cookie the last login left (no form). */
export async function autologin() {
  adopt(await request("login", { params: { action: "autologin", client: CLIENT, rampup: "true" }, session: false }));
  await rampup();
  return state;
}

/** A new session for the same user after the old one expired; the rampup data stays valid. */
export async function relogin(password) {
  adopt(await loginRequest(state.user, password, false));
  return state;
}

export async function logout() {
  try {
    await request("login", { params: { action: "logout" }, relogin: false });
  } catch {
    // the session may already be gone: the user is signed out either way
  }
  setSession(null);
  Object.assign(state, { id: null, user: "", userId: null, contextId: null, displayName: "", email: "" });
}

async function rampup() {
  const [, user] = await request("multiple", {
    method: "PUT",
    params: { continue: "true" },
    json: [
      { module: "jslob", action: "list", data: JSLOBS },
      { module: "user", action: "get", id: String(state.userId) },
      { module: "account", action: "all" },
    ],
  });
  if (user && user.data) {
    state.displayName = user.data.display_name || state.user;
    state.email = user.data.email1 || "";
  }
  const folders = await request("config/folder");
  Object.assign(state.folders, {
    mail: (folders.mail && folders.mail.inbox) || "default0/INBOX",
    calendar: folders.calendar,
    contacts: folders.contacts,
    infostore: folders.infostore,
  });
}
