// A dropdown menu (the launcher and the account menu): a toggle button and a ul.dropdown-menu of menu items.
// Click or Enter opens it; Escape, a click outside or choosing an item closes it.

export function dropdown(container) {
  const toggle = container.querySelector(".dropdown-toggle");
  const menu = container.querySelector(".dropdown-menu");
  const items = () => Array.from(menu.querySelectorAll('[role="menuitem"]'));

  function open(focusFirst = false) {
    menu.hidden = false;
    container.classList.add("open");
    toggle.setAttribute("aria-expanded", "true");
    if (focusFirst && items()[0]) items()[0].focus();
  }

  function close(returnFocus = false) {
    if (menu.hidden) return;
    menu.hidden = true;
    container.classList.remove("open");
    toggle.setAttribute("aria-expanded", "false");
    if (returnFocus) toggle.focus();
  }

  // A click anywhere on the container but the menu (e.g. a test clicking #io-ox-launcher itself) toggles.
  container.addEventListener("click", (event) => {
    if (menu.contains(event.target)) return;
    if (menu.hidden) open(event.detail === 0);
    else close();
  });
  toggle.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      open(true);
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !menu.hidden) close(container.contains(document.activeElement));
  });
  menu.addEventListener("keydown", (event) => {
    const list = items();
    const index = list.indexOf(document.activeElement);
    if (event.key === "ArrowDown") list[(index + 1) % list.length].focus();
    else if (event.key === "ArrowUp") list[(index - 1 + list.length) % list.length].focus();
    else return;
    event.preventDefault();
  });
  menu.addEventListener("click", (event) => {
    if (event.target.closest('[role="menuitem"]')) close();
  });
  document.addEventListener("click", (event) => {
    if (!container.contains(event.target)) close();
  });
  return { open, close };
}
