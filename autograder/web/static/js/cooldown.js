// Counts the submission cooldown down on the page and holds the submit button until it ends,
// so a student who picked a file keeps it (a refused POST would clear the file input).
(function () {
  "use strict";
  var note = document.getElementById("cooldown");
  var button = document.getElementById("submit-button");
  if (!note || !button) { return; }
  var left = parseInt(note.dataset.seconds || "0", 10);
  if (!(left > 0)) { return; }
  var shown = document.getElementById("cooldown-seconds");
  var label = button.textContent;
  function tick() {
    if (left <= 0) {
      note.hidden = true;
      button.disabled = false;
      button.textContent = label;
      return;
    }
    shown.textContent = String(left);
    button.disabled = true;
    button.textContent = label + " (" + left + " s)";
    left -= 1;
    setTimeout(tick, 1000);
  }
  tick();
})();
