// hongyan console: small enhancements every page shares. Pages work without it.
// - <form data-confirm="question">: asks before submitting.
// - a submitted form's buttons are disabled, so a double click sends one request
//   (the server still treats a repeated submit as one).
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement)) return;
    var q = form.getAttribute("data-confirm");
    if (q && !window.confirm(q)) {
      ev.preventDefault();
      return;
    }
    window.setTimeout(function () {
      var buttons = form.querySelectorAll("button[type=submit], input[type=submit]");
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
    }, 0);
  });
})();
