// Small progressive touches; every page works without them.
(function () {
  "use strict";

  // Filter a list of checkboxes by the words typed (indicator pickers).
  document.querySelectorAll("input[data-filter-target]").forEach(function (input) {
    var box = document.getElementById(input.dataset.filterTarget);
    if (!box) { return; }
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      box.querySelectorAll("label[data-text]").forEach(function (label) {
        var text = label.dataset.text;
        var checked = label.querySelector("input:checked");
        label.hidden = !checked && !words.every(function (w) { return text.indexOf(w) >= 0; });
      });
      box.querySelectorAll("fieldset").forEach(function (set) {
        set.hidden = !set.querySelector("label[data-text]:not([hidden])");
      });
    });
  });

  // Tick or clear every checkbox of a group (bulk tagging).
  document.querySelectorAll("button[data-check-all]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var boxes = document.querySelectorAll("input[type=checkbox][name='" + button.dataset.checkAll + "']");
      var anyOff = Array.prototype.some.call(boxes, function (b) { return !b.checked; });
      boxes.forEach(function (b) { b.checked = anyOff; });
    });
  });

  // Live progress of a run (a sync, a recalculation): poll its JSON until it is over, then reload.
  var live = document.getElementById("run-progress");
  if (live && live.dataset.url) {
    var bar = live.querySelector(".progress > span");
    var text = live.querySelector("[data-progress-text]");
    var poll = function () {
      fetch(live.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (run) {
          var percent = run.units_total ? Math.round(100 * run.units_done / run.units_total) : 0;
          if (run.status === "running" && run.step) { percent = Math.max(percent, 10); }
          bar.className = "w-" + Math.min(100, Math.round(percent / 10) * 10);
          text.textContent = run.message;
          if (run.finished) { window.setTimeout(function () { window.location.reload(); }, 600); }
          else { window.setTimeout(poll, 1000); }
        })
        .catch(function () { text.textContent = "Progress is not available; reload the page to see it."; });
    };
    poll();
  }

  // Print button on reports.
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
