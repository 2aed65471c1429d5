// Session page: the head-and-neck map drives the site checkboxes, and the totals update live.
// Without this script the page is a plain list of checkboxes and works the same.
// The server re-checks everything (cephalog.domain.dosing); this only counts what is ticked.
(function () {
  "use strict";
  var form = document.querySelector("form[data-session-sites]");
  if (!form) return;

  document.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });

  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][data-code]"));
  var byCode = {};
  boxes.forEach(function (box) { byCode[box.dataset.code] = box; });
  var opened = parseInt(form.dataset.opened || "0", 10);
  var maxUnits = parseInt(form.dataset.maxUnits || "0", 10);
  var maxSites = parseInt(form.dataset.maxSites || "0", 10);
  var UNITS = 5;

  function reasonOf(code) {
    var input = form.querySelector('input[data-reason="' + code + '"]');
    return input ? input.value.trim() : "";
  }

  function stateOf(box) {
    var ftp = box.dataset.ftp === "1";
    if (box.checked) return ftp ? "added" : "done";
    if (ftp) return "unused";
    return reasonOf(box.dataset.code) ? "skipped" : "pending";
  }

  function stateText(state, code) {
    switch (state) {
      case "done": return "done";
      case "added": return "added";
      case "skipped": return "skipped: " + reasonOf(code);
      case "pending": return "not yet recorded";
      default: return "not added";
    }
  }

  function setState(el, state) {
    el.classList.remove("s-done", "s-added", "s-skipped", "s-pending", "s-unused");
    el.classList.add("s-" + state);
  }

  function set(name, value) {
    var el = form.querySelector('[data-total="' + name + '"]');
    if (el) el.textContent = value;
  }

  function update() {
    var units = 0, sites = 0, ftp = 0, skipped = 0, pending = 0;
    var ftpByMuscle = {};
    boxes.forEach(function (box) {
      var code = box.dataset.code;
      var state = stateOf(box);
      if (state === "done" || state === "added") { units += UNITS; sites += 1; }
      if (state === "added") {
        ftp += 1;
        ftpByMuscle[box.dataset.muscle] = (ftpByMuscle[box.dataset.muscle] || 0) + 1;
      }
      if (state === "skipped") skipped += 1;
      if (state === "pending") pending += 1;
      var row = form.querySelector('[data-row="' + code + '"]');
      if (row) {
        setState(row, state);
        var text = row.querySelector("[data-state]");
        if (text) text.textContent = stateText(state, code);
      }
      form.querySelectorAll('.site[data-code="' + code + '"]').forEach(function (marker) {
        setState(marker, state);
        marker.setAttribute("aria-checked", box.checked ? "true" : "false");
        var kind = box.dataset.ftp === "1" ? " (follow-the-pain)" : "";
        marker.setAttribute(
          "aria-label", box.dataset.label + kind + ", " + UNITS + " units, " + stateText(state, code)
        );
      });
    });
    set("units", units);
    set("sites", sites);
    set("ftp", ftp);
    set("skipped", skipped);
    set("pending", pending);
    set("waste", opened >= units ? opened - units : "–");
    var warnings = [];
    form.querySelectorAll("fieldset[data-ftp-cap]").forEach(function (fs) {
      var cap = parseInt(fs.dataset.ftpCap, 10);
      var n = ftpByMuscle[fs.dataset.muscle] || 0;
      if (n > cap) warnings.push(n + " follow-the-pain sites in " + fs.dataset.muscle.replace("_", " ") + ", at most " + cap + ".");
    });
    if (maxUnits && units > maxUnits) warnings.push(units + " U is over the protocol maximum of " + maxUnits + " U.");
    if (maxSites && sites > maxSites) warnings.push(sites + " sites is over the protocol maximum of " + maxSites + ".");
    if (units > opened) warnings.push("More units ticked than the " + opened + " U opened: record another vial.");
    set("warning", warnings.join(" "));
  }

  // Ticks changed by script (the map, "mark all") are saved like a tick in the list (htmx).
  function changed() {
    form.dispatchEvent(new CustomEvent("sites-changed", { bubbles: true }));
  }

  function toggle(code) {
    var box = byCode[code];
    if (!box) return;
    box.checked = !box.checked;
    update();
    changed();
  }

  form.querySelectorAll(".site-map .site[data-code]").forEach(function (marker) {
    marker.addEventListener("click", function () { toggle(marker.dataset.code); });
    marker.addEventListener("keydown", function (event) {
      if (event.key === " " || event.key === "Enter") {
        event.preventDefault();
        toggle(marker.dataset.code);
      }
    });
  });

  var all = form.querySelector('[data-action="all-fixed"]');
  if (all) {
    all.addEventListener("click", function () {
      boxes.forEach(function (box) {
        if (box.dataset.ftp === "0" && !reasonOf(box.dataset.code)) box.checked = true;
      });
      update();
      changed();
    });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", function (event) {
    var code = event.target && event.target.dataset ? event.target.dataset.reason : null;
    if (!code) return;
    // Giving a reason means the site is skipped, not done.
    if (event.target.value.trim() && byCode[code]) byCode[code].checked = false;
    update();
  });
  update();
})();
