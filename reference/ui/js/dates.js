// Dates: display formats, week ranges, and the chronos date format ({value: "20240102T100000", tzid}).

const LOCALE = "en";

export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

export function formatShort(millis) {
  if (!millis) return "";
  const date = new Date(millis);
  const today = new Date();
  return date.toDateString() === today.toDateString()
    ? date.toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleDateString(LOCALE, { day: "numeric", month: "short", year: "numeric" });
}

export function formatDateTime(millis) {
  return millis ? new Date(millis).toLocaleString(LOCALE, { dateStyle: "medium", timeStyle: "short" }) : "";
}

export function formatTime(date) {
  return date.toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit" });
}

export function formatDay(date) {
  return date.toLocaleDateString(LOCALE, { weekday: "short", day: "numeric", month: "short" });
}

export function formatDayLong(date) {
  return date.toLocaleDateString(LOCALE, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

/** Local midnight of the Monday of the week that holds `date`. */
export function startOfWeek(date) {
  const start = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  start.setDate(start.getDate() - ((start.getDay() + 6) % 7));
  return start;
}

export function addDays(date, days) {
  const next = new Date(date);
  next.setDate(next.getDate() + days);
  return next;
}

/** 20240102T100000Z: the UTC form of chronos' rangeStart/rangeEnd. */
export function utcStamp(date) {
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}T${pad(date.getUTCHours())}`
    + `${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
}

/** The value of <input type=date> and <input type=time> for a local date. */
export function dateInputValue(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export function timeInputValue(date) {
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A local Date from the values of a date and a time input, or null when they do not form one. */
export function fromInputs(day, time) {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || "");
  const t = /^(\d{1,2}):(\d{2})/.exec(time || "");
  if (!d || !t) return null;
  return new Date(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(t[1]), Number(t[2]));
}

/** A local Date as chronos' {value, tzid}: the wall time in the browser's zone. */
export function toChronos(date, zone = browserZone()) {
  const value = `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}T${pad(date.getHours())}`
    + `${pad(date.getMinutes())}00`;
  return { value, tzid: zone };
}

/** chronos' {value, tzid} as a Date: UTC (…Z), a wall time in tzid, a floating time, or an all-day date. */
export function fromChronos(date) {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec((date && date.value) || "");
  if (!m) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", zulu] = m;
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)];
  if (zulu) return new Date(Date.UTC(...parts));
  if (!date.tzid || m[4] === undefined) return new Date(...parts);
  const wall = Date.UTC(...parts);
  let instant = wall - zoneOffset(date.tzid, wall);
  instant = wall - zoneOffset(date.tzid, instant); // again, in case the offset changed in between (DST)
  return new Date(instant);
}

/** The offset of a time zone from UTC in ms at an instant (0 for a zone the browser does not know). */
function zoneOffset(zone, instant) {
  let format;
  try {
    format = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric",
      day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
  } catch {
    return 0;
  }
  const p = Object.fromEntries(format.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour) % 24, Number(p.minute),
    Number(p.second));
  return asUtc - Math.floor(instant / 1000) * 1000;
}
