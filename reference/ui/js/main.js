// Start-up of the reference UI: wire the parts, try autologin from the session cookie, then show either the
// shell (signed in) or the login screen. window.ox exposes a little state for tests.

import { getSession } from "./api.js";
import { whileBusy } from "./loader.js";
import { hideLogin, installLogin, showLogin } from "./login.js";
import { installRelogin } from "./relogin.js";
import * as session from "./session.js";
import { APPS, installShell, openApp, startShell, stopShell } from "./shell.js";

const VERSION = document.querySelector('meta[name="version"]').content;

async function signOut() {
  await session.logout();
  stopShell();
  showLogin();
}

window.ox = {
  version: VERSION,
  get session() { return getSession(); },
  get user() { return session.state.user; },
  get folders() { return { ...session.state.folders }; },
  apps: APPS.map((app) => app.id),
  openApp,
  signOut,
};

async function boot() {
  installShell(signOut);
  installLogin(startShell);
  installRelogin(() => { stopShell(); session.logout().finally(showLogin); });
  let signedIn = false;
  await whileBusy(async () => {
    try {
      await session.autologin();
      signedIn = true;
    } catch {
      // no session cookie, or its session is gone: the login screen asks
    }
  });
  if (signedIn) {
    hideLogin();
    await startShell();
  } else {
    showLogin();
  }
}

boot();
