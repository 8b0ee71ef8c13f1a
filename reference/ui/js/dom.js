// DOM helpers shared by every part of the UI: element creation, lookups, unique ids, visibility.

let counter = 0;

/** A page-unique id with a readable prefix (labels point at inputs by id). */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/**
 * el("button", {class: "btn", type: "button", dataset: {action: "send"}, onclick: fn}, "Send")
 * Attributes whose value is null, undefined or false are left out; `true` sets an empty attribute.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Remove every child of a node, then append the given ones. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export function show(node, visible = true) {
  node.hidden = !visible;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A labelled form field: <div class="form-group"><label for=id>Label</label><input id=id ...></div>. */
export function field(label, attrs = {}, tag = "input") {
  const id = attrs.id || uid(attrs.name || "field");
  const control = el(tag, { class: "form-control", ...attrs, id });
  return { group: el("div", { class: "form-group" }, el("label", { for: id }, label), control), control };
}

/** An alert box with role=alert, as App Suite shows errors. */
export function alertBox(message, kind = "danger") {
  return el("div", { class: `alert alert-${kind}`, role: "alert" }, message);
}
