// Buttons marked data-print open the browser's print dialog (kept out of the page: the
// Content-Security-Policy allows no inline event handlers).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
