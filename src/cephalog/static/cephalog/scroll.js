// A table wider than the screen scrolls inside its .table-wrap box. Such a box must be
// reachable from the keyboard (WCAG 2.1.1): make it a focusable, named region, and only
// when it does scroll (a narrow phone, a wide table).
(() => {
  const mark = () => {
    for (const box of document.querySelectorAll(".table-wrap")) {
      const scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        const caption = box.querySelector("caption");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (caption && caption.textContent.trim()) || "Table (scrolls sideways)");
      } else if (!scrolls && box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  };
  document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", mark);
  document.addEventListener("htmx:afterSettle", mark);
})();
