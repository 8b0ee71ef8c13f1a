// The Calendar app: a week view (.weekview, one column per day, .appointment with .title) filled by
// PUT chronos?action=all for the week, and the appointment editor (.io-ox-calendar-edit-window).

import { request } from "./api.js";
import { alertBox, el, field, fill } from "./dom.js";
import * as dates from "./dates.js";
import { busyWindow, openWindow } from "./window.js";
import { state } from "./session.js";

let weekStart = dates.startOfWeek(new Date());
let view = null;
let title = null;
let notice = null;
let detail = null;
let events = [];

export const calendarApp = {
  id: "io.ox/calendar",
  title: "Calendar",
  windowClass: "io-ox-calendar-window",

  mount(container) {
    view = el("div", { class: "weekview", role: "region", "aria-labelledby": "io-ox-calendar-week-title" });
    title = el("h2", { class: "week-title", id: "io-ox-calendar-week-title", "aria-live": "polite" });
    notice = el("div", { class: "list-notice" });
    detail = el("section", { class: "appointment-detail", "aria-label": "Appointment", hidden: true });
    const go = (days) => () => {
      weekStart = days === null ? dates.startOfWeek(new Date()) : dates.addDays(weekStart, days);
      calendarApp.refresh();
    };
    fill(container,
      el("h1", { class: "sr-only" }, "Calendar"),
      el("div", { class: "classic-toolbar", role: "toolbar", "aria-label": "Calendar actions" },
        el("button", { type: "button", class: "btn btn-primary", dataset: { action: "io.ox/calendar/detail/actions/create" },
          onclick: () => openEditor() }, "New appointment"),
        el("button", { type: "button", class: "btn btn-default", dataset: { action: "prev" }, "aria-label": "Previous week",
          onclick: go(-7) }, "‹"),
        el("button", { type: "button", class: "btn btn-default", dataset: { action: "today" }, onclick: go(null) }, "Today"),
        el("button", { type: "button", class: "btn btn-default", dataset: { action: "next" }, "aria-label": "Next week",
          onclick: go(7) }, "›"),
        title),
      notice,
      el("div", { class: "window-content calendar-content" }, view, detail));
    drawWeek();
  },

  async refresh() {
    const start = weekStart;
    const end = dates.addDays(start, 7);
    drawTitle();
    try {
      const results = await request("chronos", {
        method: "PUT",
        params: { action: "all", rangeStart: dates.utcStamp(start), rangeEnd: dates.utcStamp(end), expand: "true" },
        json: { folders: [String(state.folders.calendar)] },
      });
      if (start !== weekStart) return; // the user went on to another week meanwhile
      const failed = results.find((result) => result.error);
      fill(notice, failed ? alertBox(`The calendar cannot be loaded: ${failed.error.error}`) : null);
      events = results.flatMap((result) => result.events || []);
    } catch (error) {
      if (error.code !== "SES-GIVEUP") fill(notice, alertBox(`The calendar cannot be loaded: ${error.message}`));
      return;
    }
    drawWeek();
  },

  reset() {
    events = [];
    weekStart = dates.startOfWeek(new Date());
    fill(notice);
    detail.hidden = true;
    drawWeek();
  },
};

function drawTitle() {
  const last = dates.addDays(weekStart, 6);
  title.textContent = `${weekStart.toLocaleDateString("en", { day: "numeric", month: "short" })} – `
    + `${last.toLocaleDateString("en", { day: "numeric", month: "short", year: "numeric" })}`;
}

function drawWeek() {
  drawTitle();
  const today = new Date().toDateString();
  const days = [];
  for (let i = 0; i < 7; i += 1) {
    const day = dates.addDays(weekStart, i);
    const next = dates.addDays(day, 1);
    const todays = events
      .map((event) => ({ event, start: dates.fromChronos(event.startDate), end: dates.fromChronos(event.endDate) }))
      .filter(({ start, end }) => start && end && start < next && (end > day || +end === +start && start >= day))
      .sort((a, b) => a.start - b.start);
    days.push(el("section", { class: `day${day.toDateString() === today ? " today" : ""}`, "aria-label": dates.formatDayLong(day),
      dataset: { date: dates.dateInputValue(day) } },
    el("h3", { class: "day-header" }, dates.formatDay(day)),
    el("ul", { class: "appointments" }, todays.map(({ event, start, end }) => el("li", {},
      el("button", { type: "button", class: "appointment", dataset: { id: event.id, folder: event.folder || "", cid: `${event.folder}.${event.id}` },
        onclick: () => showDetail(event, start, end) },
      el("span", { class: "time" }, `${dates.formatTime(start)} – ${dates.formatTime(end)}`),
      el("span", { class: "title" }, event.summary || "(no title)")))))));
  }
  fill(view, days);
}

function showDetail(event, start, end) {
  fill(detail,
    el("h2", { class: "summary" }, event.summary || "(no title)"),
    el("p", { class: "date-summary" }, `${dates.formatDateTime(+start)} – ${dates.formatDateTime(+end)}`),
    event.location ? el("p", { class: "location" }, event.location) : null,
    event.description ? el("p", { class: "description" }, event.description) : null,
    el("button", { type: "button", class: "btn btn-default", dataset: { action: "close" },
      onclick: () => { detail.hidden = true; } }, "Close"));
  detail.hidden = false;
}

function nextFullHour() {
  const date = new Date();
  date.setMinutes(0, 0, 0);
  date.setHours(date.getHours() + 1);
  return date;
}

function openEditor() {
  const existing = document.querySelector(".io-ox-calendar-edit-window");
  if (existing) {
    existing.querySelector('[name="summary"]').focus();
    return;
  }
  const start = nextFullHour();
  const end = new Date(start.getTime() + 3600 * 1000);
  const summary = field("Title", { type: "text", name: "summary" });
  const location = field("Location", { type: "text", name: "location" });
  const startDate = field("Start date", { type: "date", name: "start_date", value: dates.dateInputValue(start) });
  const startTime = field("Start time", { type: "time", name: "start_time", value: dates.timeInputValue(start) });
  const endDate = field("End date", { type: "date", name: "end_date", value: dates.dateInputValue(end) });
  const endTime = field("End time", { type: "time", name: "end_time", value: dates.timeInputValue(end) });
  const description = field("Description", { name: "description", rows: "4" }, "textarea");
  const save = el("button", { type: "button", class: "btn btn-primary", dataset: { action: "save" } }, "Create");
  const discard = el("button", { type: "button", class: "btn btn-default", dataset: { action: "discard" } }, "Discard");
  const win = openWindow({
    className: "io-ox-calendar-edit-window",
    title: "Create appointment",
    body: el("div", { class: "edit-fields" }, summary.group, location.group,
      el("div", { class: "form-row" }, startDate.group, startTime.group),
      el("div", { class: "form-row" }, endDate.group, endTime.group), description.group),
    buttons: [save, discard],
  });
  // Moving the start keeps the duration, as App Suite does.
  let duration = end - start;
  const remember = () => {
    const s = dates.fromInputs(startDate.control.value, startTime.control.value);
    const e = dates.fromInputs(endDate.control.value, endTime.control.value);
    if (s && e && e >= s) duration = e - s;
  };
  const follow = () => {
    const s = dates.fromInputs(startDate.control.value, startTime.control.value);
    if (!s) return;
    const e = new Date(s.getTime() + duration);
    endDate.control.value = dates.dateInputValue(e);
    endTime.control.value = dates.timeInputValue(e);
  };
  startDate.control.addEventListener("change", follow);
  startTime.control.addEventListener("change", follow);
  endDate.control.addEventListener("change", remember);
  endTime.control.addEventListener("change", remember);
  discard.addEventListener("click", () => win.close());
  save.addEventListener("click", async () => {
    const s = dates.fromInputs(startDate.control.value, startTime.control.value);
    const e = dates.fromInputs(endDate.control.value, endTime.control.value);
    if (!s || !e) {
      win.error("Please enter a valid start and end.");
      return;
    }
    if (e < s) {
      win.error("The end date must be after the start date.");
      return;
    }
    const event = { summary: summary.control.value.trim(), location: location.control.value.trim(),
      description: description.control.value, startDate: dates.toChronos(s), endDate: dates.toChronos(e) };
    const saved = await busyWindow(win, () => request("chronos", { method: "PUT",
      params: { action: "new", folder: String(state.folders.calendar) }, json: event }));
    if (saved) {
      win.close();
      weekStart = dates.startOfWeek(s);
      await calendarApp.refresh();
    }
  });
  summary.control.focus();
}
