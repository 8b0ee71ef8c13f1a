// The "Offline" banner (#io-ox-offline): shown while the server cannot be reached, hidden again as soon as
// it answers. While it is shown, the UI knocks on system?action=ping every few seconds.

const PING = "/appsuite/api/system?action=ping";
const PING_EVERY_MS = 5000;
let timer = null;

function banner() {
  return document.getElementById("io-ox-offline");
}

export function isOffline() {
  return !banner().hidden;
}

export function showOffline() {
  banner().hidden = false;
  if (!timer) timer = setInterval(ping, PING_EVERY_MS);
}

export function hideOffline() {
  banner().hidden = true;
  if (timer) {
    clearInterval(timer);
    timer = null;
  }
}

async function ping() {
  try {
    const response = await fetch(PING, { cache: "no-store", credentials: "same-origin" });
    if (response.ok) hideOffline();
  } catch {
    // still unreachable: the banner stays
  }
}
