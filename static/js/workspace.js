// A request's workspace (templates/detainers/inbox_item.html): the document viewer's pages and zoom,
// the keyboard shortcuts, and the failed save's error summary in focus. Without this file every page
// of the document shows one under another and the buttons work as plain form buttons.
(function () {
  "use strict";

  var ZOOMS = [1, 1.25, 1.5, 2, 3];

  function viewer(figure) {
    var pages = Array.prototype.slice.call(figure.querySelectorAll(".inbox-page"));
    var tools = figure.querySelector(".viewer-tools");
    if (!pages.length || !tools) return null;
    var at = 0;
    var zoom = 0;
    var label = tools.querySelector(".viewer-at");
    var previous = tools.querySelector('[data-viewer="previous"]');
    var next = tools.querySelector('[data-viewer="next"]');

    function show() {
      pages.forEach(function (page, index) {
        page.classList.toggle("current", index === at);
        page.style.width = ZOOMS[zoom] * 100 + "%";
      });
      figure.classList.toggle("zoomed", zoom > 0);
      if (label) label.textContent = "Page " + (at + 1) + " of " + pages.length;
      if (previous) previous.disabled = at === 0;
      if (next) next.disabled = at === pages.length - 1;
    }

    function turn(step) {
      var wanted = Math.min(Math.max(at + step, 0), pages.length - 1);
      if (wanted === at) return false;
      at = wanted;
      show();
      return true;
    }

    tools.addEventListener("click", function (event) {
      var action = event.target.getAttribute("data-viewer");
      if (action === "previous") turn(-1);
      if (action === "next") turn(1);
      if (action === "zoom-in") zoom = Math.min(zoom + 1, ZOOMS.length - 1);
      if (action === "zoom-out") zoom = Math.max(zoom - 1, 0);
      if (action === "fit") zoom = 0;
      show();
    });
    figure.classList.add("paged");
    tools.hidden = false;
    show();
    return { turn: turn };
  }

  function submitWith(form, button) {
    if (!form || !button) return;
    if (form.requestSubmit) form.requestSubmit(button);
    else button.click();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var viewers = Array.prototype.slice
      .call(document.querySelectorAll(".workspace-viewer"))
      .map(viewer)
      .filter(Boolean);
    var form = document.getElementById("triage-form");
    var save = form && form.querySelector('button[type="submit"]:not([name])');
    var saveNext = form && form.querySelector('button[name="then"][value="next"]');

    document.addEventListener("keydown", function (event) {
      var control = event.ctrlKey || event.metaKey;
      if (control && !event.altKey && event.key === "Enter") {
        event.preventDefault();
        submitWith(form, event.shiftKey ? saveNext : save);
      } else if (event.altKey && !control && (event.key === "PageDown" || event.key === "PageUp")) {
        // The first document that has a page that way turns.
        var step = event.key === "PageDown" ? 1 : -1;
        event.preventDefault();
        viewers.some(function (one) { return one.turn(step); });
      }
    });

    // A failed save: the summary is at the top of the form (the URL's #triage-errors); focus it so
    // a screen reader reads it and the next Tab goes to its first link.
    var errors = document.getElementById("triage-errors");
    if (errors) {
      errors.scrollIntoView({ block: "start" });
      errors.focus({ preventScroll: true });
    }
  });
})();
