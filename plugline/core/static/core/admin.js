/* The staff pages (Django's admin): names for the controls Django's own markup leaves unnamed.
   - fields in a tabular inline's rows are named by their column's header;
   - the search icon of a "filter horizontal" box is a named image, not a span with a label. */
(function () {
  "use strict";

  function nameInlineFields(root) {
    root.querySelectorAll(".tabular table").forEach(function (table) {
      table.querySelectorAll("tbody td[class*='field-']").forEach(function (cell) {
        var column = Array.prototype.find.call(cell.classList, function (c) {
          return c.indexOf("field-") === 0;
        });
        var header = column && table.querySelector("thead th.column-" + column.slice(6));
        if (!header) return;
        var name = header.textContent.trim();
        cell.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function (field) {
          if (!field.labels || field.labels.length === 0) {
            if (!field.hasAttribute("aria-label")) field.setAttribute("aria-label", name);
          }
        });
      });
    });
  }

  function nameFilterIcons() {
    document.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { nameInlineFields(document); });
  document.addEventListener("formset:added", function (event) { nameInlineFields(event.target.closest(".tabular") || document); });
  // Django's SelectFilter builds its boxes on "load": name their icons once it has.
  window.addEventListener("load", function () { window.setTimeout(nameFilterIcons, 0); });
})();
