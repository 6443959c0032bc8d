// A warning before the session runs out, on a page where a form is being filled in.
//
// The page says when its session ends (data-session-ends on <body>, with the server's time
// then, so that a wrong clock on the device does not matter). Saving a comment box's words
// starts the time again; the autosave tells this script ("portal:session-renewed"). A few
// minutes before the end, if something
// has been typed, a small dialog offers "Stay logged in", which asks the portal to start the
// time again. It can be closed with its button or with Escape.
(function () {
  "use strict";

  var body = document.body;
  var ends = parseInt(body.getAttribute("data-session-ends") || "", 10);
  var serverNow = parseInt(body.getAttribute("data-session-now") || "", 10);
  var seconds = parseInt(body.getAttribute("data-session-age") || "", 10);
  var extendUrl = body.getAttribute("data-session-extend-url");
  if (!ends || !serverNow || !seconds || !extendUrl) return;

  var CHECK_MS = 2000;
  // Five minutes' warning, or half the session when it is short.
  var leadMs = Math.min(5 * 60, Math.floor(seconds / 2)) * 1000;
  var endsAt = Date.now() + (ends - serverNow) * 1000;
  var typed = false;
  var dialog = null;
  var dismissedFor = 0; // the end time the person closed the warning for
  var returnFocus = null;

  function clock(when) {
    var date = new Date(when);
    var hours = String(date.getHours()).padStart(2, "0");
    var minutes = String(date.getMinutes()).padStart(2, "0");
    return hours + ":" + minutes;
  }

  function minutesLeft() {
    return Math.max(1, Math.round((endsAt - Date.now()) / 60000));
  }

  function renewed(secondsLeft) {
    endsAt = Date.now() + (secondsLeft || seconds) * 1000;
    dismissedFor = 0;
  }

  function token() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text) node.textContent = text;
    return node;
  }

  function build() {
    dialog = element("div", {
      class: "session-warning",
      role: "alertdialog",
      "aria-modal": "false",
      "aria-labelledby": "session-warning-title",
      "aria-describedby": "session-warning-text",
      "data-session-warning": "",
      hidden: "",
    });
    dialog.appendChild(
      element("h2", { id: "session-warning-title", class: "h5" }, "You will be logged out soon")
    );
    dialog.appendChild(element("p", { id: "session-warning-text" }));
    var actions = element("div", { class: "d-flex flex-wrap gap-2" });
    var stay = element("button", { type: "button", class: "btn btn-primary", "data-session-stay": "" }, "Stay logged in");
    var close = element("button", { type: "button", class: "btn btn-outline-secondary", "data-session-close": "" }, "Close");
    actions.appendChild(stay);
    actions.appendChild(close);
    dialog.appendChild(actions);
    dialog.appendChild(element("p", { class: "visually-hidden", role: "status", "data-session-status": "" }));
    stay.addEventListener("click", stayLoggedIn);
    close.addEventListener("click", function () {
      dismissedFor = endsAt;
      hide();
    });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        dismissedFor = endsAt;
        hide();
      }
    });
    document.body.appendChild(dialog);
  }

  function say(text) {
    dialog.querySelector("#session-warning-text").textContent = text;
  }

  function show() {
    if (!dialog) build();
    if (endsAt > Date.now()) {
      say(
        "For your safety, you will be logged out at " +
          clock(endsAt) +
          " (in about " +
          minutesLeft() +
          (minutesLeft() === 1 ? " minute" : " minutes") +
          "), because nothing has been sent for a while. What you have typed is kept. " +
          "Press “Stay logged in” to carry on."
      );
    }
    if (!dialog.hidden) return;
    returnFocus = document.activeElement;
    dialog.hidden = false;
    dialog.querySelector("[data-session-stay]").focus();
  }

  function hide() {
    if (!dialog || dialog.hidden) return;
    dialog.hidden = true;
    if (returnFocus && document.body.contains(returnFocus) && returnFocus.focus) {
      returnFocus.focus();
    }
    returnFocus = null;
  }

  function loggedOut() {
    if (!dialog) build();
    dialog.querySelector("#session-warning-title").textContent = "You have been logged out";
    say(
      "Your words are kept. Press Send as usual: you will be asked to log in, " +
        "then you come back to this page with your words in the box."
    );
    dialog.querySelector("[data-session-stay]").hidden = true;
  }

  function stayLoggedIn() {
    var status = dialog.querySelector("[data-session-status]");
    var data = new FormData();
    data.append("csrfmiddlewaretoken", token());
    window
      .fetch(extendUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-Requested-With": "XMLHttpRequest" },
      })
      .then(function (response) {
        if (!response.ok) throw new Error("not extended");
        return response.json();
      })
      .then(function (answer) {
        if (!answer.logged_in) throw new Error("logged out");
        renewed(answer.seconds_left);
        hide();
        status.textContent = "You are still logged in.";
      })
      .catch(function () {
        if (Date.now() >= endsAt) {
          loggedOut();
        } else {
          say("That did not work. Please check your connection and press “Stay logged in” again.");
        }
      });
  }

  function check() {
    var now = Date.now();
    if (!typed || dismissedFor === endsAt) return;
    if (now >= endsAt) {
      show();
      loggedOut();
    } else if (now >= endsAt - leadMs) {
      show();
    }
  }

  function filling(event) {
    var form = event.target && event.target.form;
    if (form && !form.hasAttribute("data-logout")) typed = true;
  }

  document.addEventListener("input", filling);
  document.addEventListener("change", filling);
  document.addEventListener("portal:session-renewed", function () {
    renewed(seconds);
  });
  document.addEventListener("DOMContentLoaded", function () {
    // Words brought back into a box (a kept draft) count as being filled in.
    document.querySelectorAll("form textarea").forEach(function (box) {
      if (box.value.trim()) typed = true;
    });
  });
  window.setInterval(check, CHECK_MS);
})();
