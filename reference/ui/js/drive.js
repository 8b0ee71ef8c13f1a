// The Drive app: files of the user's default infostore folder (.file-list-view .list-item with .filename), an
// "Upload files" input (files?action=new, multipart), and for the selected file a download link
// (a[download][data-action="download"] to files?action=document) that the browser follows itself.

import { apiUrl, request } from "./api.js";
import { alertBox, el, fill } from "./dom.js";
import { ListView } from "./listview.js";
import { formatDateTime, formatShort } from "./dates.js";
import { state } from "./session.js";

const COLUMNS = [1, 20, 5, 700, 702, 703, 704];
const NAMES = ["id", "folder_id", "last_modified", "title", "filename", "file_mimetype", "file_size"];

let list = null;
let details = null;
let notice = null;
let status = null;

export function formatSize(bytes) {
  if (bytes === null || bytes === undefined) return "";
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

function downloadUrl(file) {
  return apiUrl("files", { action: "document", folder: file.folder_id, id: file.id, delivery: "download" });
}

function emptyDetails() {
  fill(details, el("p", { class: "empty-pane" }, "No file selected"));
}

export const driveApp = {
  id: "io.ox/files",
  title: "Drive",
  windowClass: "io-ox-files-window",

  mount(container) {
    list = new ListView({
      label: "Files in My files",
      className: "file-list-view",
      cid: (file) => `${file.folder_id}.${file.id}`,
      render: (file) => [el("div", { class: "filename" }, file.filename || file.title),
        el("div", { class: "file-meta" }, el("span", { class: "size" }, formatSize(file.file_size)), " · ",
          el("span", { class: "date" }, formatShort(file.last_modified)))],
      onSelect: (file) => showFile(file),
      empty: "This folder is empty",
    });
    details = el("section", { class: "rightside file-details", "aria-label": "File details", "aria-live": "polite" });
    notice = el("div", { class: "list-notice" });
    status = el("p", { class: "upload-status", role: "status" });
    const input = el("input", { type: "file", id: "io-ox-files-upload", name: "file", multiple: true, class: "file-input" });
    input.addEventListener("change", () => upload(input));
    fill(container,
      el("h1", { class: "sr-only" }, "Drive"),
      el("div", { class: "classic-toolbar", role: "toolbar", "aria-label": "Drive actions" },
        el("span", { class: "upload-button" }, input,
          el("label", { for: "io-ox-files-upload", class: "btn btn-primary", dataset: { action: "io.ox/files/actions/upload" } },
            "Upload files")),
        status),
      el("div", { class: "window-content" },
        el("section", { class: "leftside", "aria-labelledby": "io-ox-files-folder-title" },
          el("h2", { class: "folder-title", id: "io-ox-files-folder-title" }, "My files"),
          notice, list.element, list.emptyNote),
        details));
    emptyDetails();
  },

  async refresh() {
    try {
      const rows = await request("files", { params: { action: "all", folder: String(state.folders.infostore),
        columns: COLUMNS.join(","), sort: "702", order: "asc" } });
      const files = rows.map((row) => Object.fromEntries(NAMES.map((name, i) => [name, row[i]])));
      files.sort((a, b) => String(a.filename).localeCompare(String(b.filename)));
      fill(notice);
      list.setItems(files);
      const selected = list.selected && list.item(list.selected);
      if (selected) showFile(selected);
    } catch (error) {
      if (error.code !== "SES-GIVEUP") fill(notice, alertBox(`The files cannot be loaded: ${error.message}`));
    }
  },

  reset() {
    list.clear();
    fill(notice);
    status.textContent = "";
    emptyDetails();
  },
};

function showFile(file) {
  const link = el("a", { class: "btn btn-primary", href: downloadUrl(file), download: file.filename || "",
    dataset: { action: "download" } }, "Download");
  // The session may have changed since (relogin): the link always carries the current one.
  link.addEventListener("click", () => { link.href = downloadUrl(file); });
  fill(details, el("article", { class: "file-view" },
    el("h2", { class: "filename" }, file.filename || file.title),
    el("dl", { class: "file-fields" },
      el("dt", {}, "Size"), el("dd", { class: "size" }, formatSize(file.file_size)),
      el("dt", {}, "Type"), el("dd", { class: "mimetype" }, file.file_mimetype || ""),
      el("dt", {}, "Modified"), el("dd", { class: "date" }, formatDateTime(file.last_modified))),
    link));
}

async function upload(input) {
  const files = Array.from(input.files || []);
  if (!files.length) return;
  fill(notice);
  let last = null;
  try {
    for (const [index, file] of files.entries()) {
      status.textContent = `Uploading ${file.name} (${index + 1} of ${files.length})…`;
      const form = new FormData();
      form.append("json", JSON.stringify({ folder_id: String(state.folders.infostore), title: file.name }));
      form.append("file", file, file.name);
      const id = await request("files", { method: "POST", params: { action: "new" }, form });
      last = `${state.folders.infostore}.${id}`;
    }
    status.textContent = files.length === 1 ? `${files[0].name} uploaded.` : `${files.length} files uploaded.`;
  } catch (error) {
    status.textContent = "";
    if (error.code !== "SES-GIVEUP") fill(notice, alertBox(`The upload failed: ${error.message}`));
  } finally {
    input.value = "";
  }
  if (last) list.mark(last);
  await driveApp.refresh();
}
