/* The top bar's "Menu" button on phones: shows and hides the nav and the language form.
   Without this script the button stays hidden and the nav stays in view (see plugline.css). */
(function () {
  "use strict";

  function wire(header) {
    var button = header.querySelector(".menu-toggle");
    var panel = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!panel) {
      return;
    }

    function setOpen(open) {
      header.classList.toggle("open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }

    setOpen(false);
    header.classList.add("menu-ready");

    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    // Escape closes the open menu and puts the focus back on its button.
    header.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("open")) {
        setOpen(false);
        button.focus();
      }
    });
  }

  function start() {
    document.querySelectorAll("[data-menu]").forEach(wire);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
