// The intake form: "Why it is logged late" is shown only while the time entered is late (more
// than data-late-after-days ago), or when it holds an answer or an error. Without this script it
// is always shown, and the server asks for it when it is needed either way.
(function () {
  "use strict";
  const received = document.getElementById("id_received_at");
  const reason = document.getElementById("id_late_reason");
  if (!received || !reason) return;
  const field = reason.closest(".field");
  const lateAfterMs = Number(reason.dataset.lateAfterDays) * 24 * 60 * 60 * 1000;

  function isLate() {
    const moment = new Date(received.value); // datetime-local: read in the browser's zone
    return !Number.isNaN(moment.getTime()) && Date.now() - moment.getTime() > lateAfterMs;
  }

  function update() {
    const needed = isLate() || reason.value.trim() !== "" || field.classList.contains("has-error");
    field.hidden = !needed;
  }

  received.addEventListener("input", update);
  received.addEventListener("change", update);
  update();
})();
