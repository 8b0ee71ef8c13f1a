// The OX HTTP API client: every call of the UI goes through request().
//
// - adds session=<id> (the secret cookie travels by itself, same origin);
// - reads the OX envelope ({data} or {error, code, ...}, HTTP 200) and the HTML callback of form uploads;
// - on a network error or HTTP 502/503/504 it retries ONCE after a second (the balancer sends the retry to
//   another middleware node when the pinned one died), and only then shows the offline banner;
// - on a session error (code SES-*) it asks the relogin handler for a new session, queues every call
//   until that is done, then sends the queued calls again with the new session.

import { hideOffline, showOffline } from "./offline.js";
import { sleep } from "./dom.js";

export const API_ROOT = "/appsuite/api";
export const CLIENT = "open-xchange-appsuite";
const RETRY_DELAY_MS = 1000;
const UNAVAILABLE = new Set([502, 503, 504]);

let sessionId = null;
let expiredHandler = null; // () => Promise that resolves once a new session is set
let relogin = null; // the pending relogin: calls wait for it

export class ApiError extends Error {
  constructor(payload) {
    super(payload.error || payload.code || "Unknown error");
    this.code = payload.code || "";
    this.category = payload.category;
    this.payload = payload;
  }
}

export class OfflineError extends Error {
  constructor() {
    super("The server cannot be reached.");
    this.code = "OFFLINE";
  }
}

export function setSession(id) {
  sessionId = id;
}

export function getSession() {
  return sessionId;
}

/** The handler that opens the relogin dialog; it resolves once a new session is set, rejects on give-up. */
export function onSessionExpired(handler) {
  expiredHandler = handler;
}

/** The URL of an API call, with the current session (for links the browser follows itself, e.g. downloads). */
export function apiUrl(module, params = {}, withSession = true) {
  const query = new URLSearchParams(params);
  if (withSession && sessionId) query.set("session", sessionId);
  return `${API_ROOT}/${module}?${query}`;
}

/**
 * request("mail", {params: {action: "all", ...}})                     GET, JSON envelope
 * request("chronos", {method: "PUT", params: {...}, json: {...}})     JSON body
 * request("files", {method: "POST", params: {...}, form: formData})   form or multipart body
 * Options: session (default true) adds the session and allows relogin; relogin:false never opens the dialog.
 */
export async function request(module, options = {}) {
  const { method = "GET", params = {}, json, form, session = true, relogin: mayRelogin = true } = options;
  for (;;) {
    if (session && relogin) await relogin;
    const used = sessionId;
    const payload = await send(module, method, params, json, form, session);
    if (payload && payload.error) {
      if (session && mayRelogin && String(payload.code).startsWith("SES-") && expiredHandler) {
        if (sessionId !== used) continue; // a relogin happened meanwhile: try again with the new session
        if (!relogin) relogin = Promise.resolve(expiredHandler()).finally(() => { relogin = null; });
        await relogin; // rejects when the user gives up
        continue;
      }
      throw new ApiError(payload);
    }
    return payload && typeof payload === "object" && "data" in payload ? payload.data : payload;
  }
}

async function send(module, method, params, json, form, withSession) {
  for (let attempt = 0; ; attempt += 1) {
    let response = null;
    try {
      response = await fetch(apiUrl(module, params, withSession), {
        method,
        credentials: "same-origin",
        cache: "no-store",
        headers: json !== undefined ? { "Content-Type": "application/json" } : {},
        body: json !== undefined ? JSON.stringify(json) : form,
      });
    } catch {
      response = null; // the network failed: no answer at all
    }
    if (response && !UNAVAILABLE.has(response.status)) {
      hideOffline();
      return parse(response);
    }
    if (attempt === 0) {
      await sleep(RETRY_DELAY_MS);
      continue;
    }
    showOffline();
    throw new OfflineError();
  }
}

async function parse(response) {
  const text = await response.text();
  if (!text.trim()) {
    if (!response.ok) throw new ApiError({ error: `HTTP ${response.status}`, code: `HTTP-${response.status}` });
    return {};
  }
  const callback = text.match(/\((\{.*\})\)\s*<\/script>/s); // the HTML answer to form uploads
  try {
    return JSON.parse(callback ? callback[1] : text);
  } catch {
    throw new ApiError({ error: `Unexpected answer (HTTP ${response.status})`, code: `HTTP-${response.status}` });
  }
}
