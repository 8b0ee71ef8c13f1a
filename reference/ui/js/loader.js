// The busy indicator (#background-loader): shown while the UI signs in or boots, hidden otherwise.

let busy = 0;

function loader() {
  return document.getElementById("background-loader");
}

export function startBusy() {
  busy += 1;
  loader().hidden = false;
}

export function stopBusy() {
  busy = Math.max(0, busy - 1);
  if (busy === 0) loader().hidden = true;
}

/** Run an async function with the loader shown. */
export async function whileBusy(work) {
  startBusy();
  try {
    return await work();
  } finally {
    stopBusy();
  }
}
