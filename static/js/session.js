/* The session's warning (templates/base.html #session-warning).
 *
 * A minute before the session ends, for idleness or at its limit after sign-in, say so; for
 * idleness, offer "Stay signed in", which POSTs to the session endpoint. When the time is up,
 * look again and go to the login page once the server says the session is over. The server
 * (accounts.middleware.SessionLimitsMiddleware) decides; this script only tells. Looking (GET)
 * does not count as activity, so an idle tab does not keep itself signed in.
 */
(function () {
  "use strict";
  var box = document.getElementById("session-warning");
  if (!box || !window.fetch) {
    return;
  }
  var text = document.getElementById("session-warning-text");
  var form = box.querySelector("form");
  var statusUrl = form.getAttribute("action");
  var warningMs = Number(box.dataset.warningSeconds) * 1000;
  var loginUrl = box.dataset.loginUrl;
  var absoluteLimit = box.dataset.absoluteLimit;
  var endsAt = 0;
  var byAge = false;
  var timers = [];
  var ticker = null;

  function clearTimers() {
    timers.forEach(window.clearTimeout);
    timers = [];
    if (ticker !== null) {
      window.clearInterval(ticker);
      ticker = null;
    }
  }

  function plan(left) {
    clearTimers();
    box.hidden = true;
    var idle = left.idle_seconds_left;
    var absolute = left.absolute_seconds_left;
    byAge = absolute <= idle;
    endsAt = Date.now() + Math.min(idle, absolute) * 1000;
    timers.push(window.setTimeout(warn, Math.max(0, endsAt - warningMs - Date.now())));
    timers.push(window.setTimeout(end, Math.max(0, endsAt - Date.now()) + 250));
  }

  function secondsLeft() {
    return Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
  }

  function say() {
    var seconds = secondsLeft();
    var unit = seconds === 1 ? " second" : " seconds";
    text.textContent = byAge
      ? "Your sign-in ends in " + seconds + unit + ": a session lasts at most " + absoluteLimit + ". " +
        "Save your work; you will need to sign in again."
      : "You will be signed out in " + seconds + unit + " because nothing has happened " +
        "on this page for a while.";
  }

  function look() {
    return window.fetch(statusUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(answer);
  }

  function answer(response) {
    if (response.status === 401 || response.status === 403) {
      signedOut();
      return null;
    }
    return response.ok ? response.json() : null;
  }

  function signedOut() {
    clearTimers();
    var next = window.location.pathname + window.location.search;
    window.location.assign(loginUrl + "?next=" + encodeURIComponent(next));
  }

  function warn() {
    // Another tab of the same session may have kept it going: ask before warning.
    look().then(function (left) {
      if (left === null) {
        return;
      }
      if (Math.min(left.idle_seconds_left, left.absolute_seconds_left) * 1000 > warningMs + 1000) {
        plan(left);
        return;
      }
      endsAt = Date.now() + Math.min(left.idle_seconds_left, left.absolute_seconds_left) * 1000;
      form.hidden = byAge;
      say();
      box.hidden = false;
      ticker = window.setInterval(say, 1000);
      // Focus the button only if nothing else has it: never take the cursor from a half-typed field.
      var button = form.querySelector("button");
      var idleFocus = !document.activeElement || document.activeElement === document.body;
      if (!byAge && button && idleFocus) {
        button.focus();
      }
    }).catch(function () { /* offline for a moment: the end timer looks again */ });
  }

  function end() {
    look().then(function (left) {
      if (left !== null) {
        plan(left); // still signed in: activity elsewhere moved the deadline
      }
    }).catch(function () {
      timers.push(window.setTimeout(end, 5000));
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    window.fetch(statusUrl, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(answer).then(function (left) {
      if (left !== null) {
        plan(left);
      }
    });
  });

  plan({
    idle_seconds_left: Number(box.dataset.idleSeconds),
    absolute_seconds_left: Number(box.dataset.absoluteSeconds),
  });
})();
