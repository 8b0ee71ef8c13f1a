// The login screen (#io-ox-login-screen): user name, password, "Stay signed in", feedback on failure.

import { $, alertBox, fill } from "./dom.js";
import { whileBusy } from "./loader.js";
import * as session from "./session.js";

/** The text App Suite shows for an error of the login module (LGI-0006: bad credentials). */
export function loginMessage(error) {
  if (error && error.code === "LGI-0006") return "The user name or password is incorrect.";
  if (error && error.code === "OFFLINE") return "The server cannot be reached. Please try again later.";
  return (error && error.message) || "Sign in failed.";
}

let signedIn = () => {};

/** Wire the form once; `onSignedIn` runs after every successful login. */
export function installLogin(onSignedIn) {
  signedIn = onSignedIn;
  $("#io-ox-login-form").addEventListener("submit", submit);
}

export function showLogin() {
  $("#io-ox-core").hidden = true;
  $("#io-ox-login-screen").hidden = false;
  $("#io-ox-login-password").value = "";
  document.title = "OX App Suite";
  const name = $("#io-ox-login-username");
  (name.value ? $("#io-ox-login-password") : name).focus();
}

export function hideLogin() {
  $("#io-ox-login-screen").hidden = true;
  feedback(null);
}

function feedback(message) {
  const box = $("#io-ox-login-feedback");
  if (message) fill(box, alertBox(message));
  else fill(box);
}

async function submit(event) {
  event.preventDefault();
  const name = $("#io-ox-login-username").value.trim();
  const password = $("#io-ox-login-password").value;
  if (!name || !password) {
    feedback(name ? "Please enter your password." : "Please enter your user name.");
    $(name ? "#io-ox-login-password" : "#io-ox-login-username").focus();
    return;
  }
  const button = $("#io-ox-login-button");
  button.disabled = true;
  feedback(null);
  try {
    await whileBusy(() => session.login(name, password, $("#io-ox-login-store-box").checked));
  } catch (error) {
    feedback(loginMessage(error));
    $("#io-ox-login-password").select();
    return;
  } finally {
    button.disabled = false;
  }
  hideLogin();
  await signedIn();
}
