// Tells the page that embeds the widget how tall the frame's content is,
// so that widget.js sizes the frame without a scroll bar.
(function () {
  "use strict";
  function tell() {
    window.parent.postMessage({ parcoursHeight: document.documentElement.scrollHeight }, "*");
  }
  window.addEventListener("load", tell);
  window.addEventListener("resize", tell);
})();
