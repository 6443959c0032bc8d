// Move focus to the error summary so screen reader users hear what went wrong.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
  // Unsent comments may hold health details: leaving on purpose clears them from this device.
  document.querySelectorAll("form[data-logout]").forEach(function (form) {
    form.addEventListener("submit", function () {
      try {
        for (var i = window.localStorage.length - 1; i >= 0; i -= 1) {
          var name = window.localStorage.key(i);
          if (name && name.indexOf("ppie-draft:") === 0) {
            window.localStorage.removeItem(name);
          }
        }
      } catch (error) {
        // Storage may be switched off; there is then nothing to clear.
      }
    });
  });
  document.querySelectorAll("[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });
});
