// Step 4 of the activation wizard: while "The E911 address is the same as my
// contact address" is ticked, the E911 fields are not needed, so they are
// hidden. Without JavaScript they stay, and are ignored while the box is ticked.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const same = document.getElementById("id_e911_same");
  const fields = document.getElementById("e911-fields");
  if (!same || !fields) {
    return;
  }
  const sync = () => {
    fields.hidden = same.checked;
  };
  same.addEventListener("change", sync);
  sync();
});
