// The swipe feed: the arrow keys and a horizontal swipe on the offer card
// send the same forms as the two buttons, which work without this script.
(function () {
  "use strict";
  var card = document.getElementById("carte-offre");
  if (!card) return;
  function choose(which) {
    var form = document.querySelector('form[data-choix="' + which + '"]');
    if (!form || form.dataset.sent) return;
    form.dataset.sent = "1";
    card.classList.add(which === "oui" ? "glisse-oui" : "glisse-non");
    form.querySelector("button").click();
  }
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
    if (e.key === "ArrowRight") { e.preventDefault(); choose("oui"); }
    else if (e.key === "ArrowLeft") { e.preventDefault(); choose("non"); }
  });
  var startX = null, startY = null;
  card.addEventListener("pointerdown", function (e) { startX = e.clientX; startY = e.clientY; });
  card.addEventListener("pointercancel", function () { startX = null; });
  card.addEventListener("pointerup", function (e) {
    if (startX === null) return;
    var dx = e.clientX - startX, dy = e.clientY - startY;
    startX = null;
    if (Math.abs(dx) > 80 && Math.abs(dx) > 2 * Math.abs(dy)) choose(dx > 0 ? "oui" : "non");
  });
}());
