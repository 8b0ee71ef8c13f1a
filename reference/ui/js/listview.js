// A selectable list (ul.list-view role=listbox, li.list-item role=option) used by mail, contacts and drive.
// Click, Enter or Space selects an item; the arrow keys, Home and End move through the list.

import { el } from "./dom.js";

export class ListView {
  /**
   * label: the accessible name of the list; className: extra classes of the ul;
   * render(item) -> the children of the li; cid(item) -> its id; onSelect(item) when the user selects it;
   * decorate(li, item) -> extra classes or attributes (e.g. unread).
   */
  constructor({ label, className = "", render, cid, onSelect, decorate = () => {}, empty = "Empty" }) {
    Object.assign(this, { render, cid, onSelect, decorate });
    this.items = [];
    this.selected = null;
    this.element = el("ul", { class: `list-view ${className}`.trim(), role: "listbox", "aria-label": label, hidden: true });
    this.emptyNote = el("p", { class: "list-empty" }, empty);
    this.element.addEventListener("click", (event) => this.#activate(event.target.closest("li.list-item")));
    this.element.addEventListener("keydown", (event) => this.#key(event));
  }

  /** Replace the items; the selection survives when its item is still there. */
  setItems(items) {
    this.items = items;
    const nodes = items.map((item) => {
      const cid = this.cid(item);
      const li = el("li", { class: "list-item selectable", role: "option", tabindex: "-1", "aria-selected": "false",
        dataset: { cid } }, this.render(item));
      this.decorate(li, item);
      if (cid === this.selected) {
        li.classList.add("selected");
        li.setAttribute("aria-selected", "true");
      }
      return li;
    });
    this.element.replaceChildren(...nodes);
    this.element.hidden = nodes.length === 0;
    this.emptyNote.hidden = nodes.length > 0;
    const focusable = this.element.querySelector("li.selected") || nodes[0];
    if (focusable) focusable.tabIndex = 0;
  }

  item(cid) {
    return this.items.find((item) => this.cid(item) === cid);
  }

  node(cid) {
    return Array.from(this.element.children).find((li) => li.dataset.cid === cid) || null;
  }

  /** Mark an item selected (without calling onSelect). */
  mark(cid) {
    this.selected = cid;
    for (const li of this.element.children) {
      const on = li.dataset.cid === cid;
      li.classList.toggle("selected", on);
      li.setAttribute("aria-selected", String(on));
      li.tabIndex = on ? 0 : -1;
    }
  }

  clear() {
    this.selected = null;
    this.setItems([]);
  }

  #activate(li) {
    if (!li) return;
    this.mark(li.dataset.cid);
    li.focus();
    const item = this.item(li.dataset.cid);
    if (item) this.onSelect(item, li);
  }

  #key(event) {
    const nodes = Array.from(this.element.children);
    const current = event.target.closest("li.list-item");
    const index = nodes.indexOf(current);
    const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: nodes.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      const next = nodes[Math.max(0, Math.min(nodes.length - 1, moves[event.key]))];
      this.#activate(next);
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      this.#activate(current);
    }
  }
}
