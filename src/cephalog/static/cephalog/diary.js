// Diary day form: "Add another medicine" copies the last medicine row.
// Without JavaScript the form simply shows three empty rows, which is enough for most days.
(function () {
  "use strict";

  var ROW_PREFIX = /med-\d+-/g;

  function renumber(row, index) {
    row.querySelectorAll("*").forEach(function (el) {
      ["id", "name", "for", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) {
          el.setAttribute(attr, value.replace(ROW_PREFIX, "med-" + index + "-"));
        }
      });
    });
    var number = row.querySelector("[data-row-number]");
    if (number) {
      number.textContent = String(index + 1);
    }
  }

  function clear(row) {
    row.querySelectorAll(".error").forEach(function (el) { el.remove(); });
    row.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    row.querySelectorAll("input").forEach(function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        input.checked = false;
      } else {
        input.value = "";
      }
    });
    row.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
  }

  function isEmpty(row) {
    if (row.querySelector(".error")) {
      return false;
    }
    var empty = true;
    row.querySelectorAll("input").forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") ? input.checked : input.value) {
        empty = false;
      }
    });
    row.querySelectorAll("select").forEach(function (select) {
      if (select.selectedIndex > 0) {
        empty = false;
      }
    });
    return empty;
  }

  function setUp() {
    var list = document.querySelector("[data-medicines]");
    var button = document.querySelector("[data-add-medicine]");
    var total = document.getElementById("id_med-TOTAL_FORMS");
    var max = document.getElementById("id_med-MAX_NUM_FORMS");
    if (!list || !button || !total) {
      return;
    }
    // Empty rows after the first stay out of the way until asked for; hidden rows are
    // still posted, and empty rows are ignored by the server.
    list.querySelectorAll("[data-medicine-row]").forEach(function (row, index) {
      if (index > 0 && isEmpty(row)) {
        row.hidden = true;
      }
    });
    button.hidden = false;
    button.addEventListener("click", function () {
      var waiting = list.querySelector("[data-medicine-row][hidden]");
      if (waiting) {
        waiting.hidden = false;
        waiting.querySelector("input[type=text]").focus();
        return;
      }
      var rows = list.querySelectorAll("[data-medicine-row]");
      var count = parseInt(total.value, 10);
      if (max && count >= parseInt(max.value, 10)) {
        button.hidden = true;
        return;
      }
      var row = rows[rows.length - 1].cloneNode(true);
      clear(row);
      renumber(row, count);
      list.appendChild(row);
      total.value = String(count + 1);
      var name = row.querySelector("input[type=text]");
      if (name) {
        name.focus();
      }
    });
  }

  // After a one-tap save swaps the diary home in place, the page's older messages
  // ("Saved 19 November") are out of date: the new status replaces them.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "diary-home") {
      document.querySelectorAll(".messages").forEach(function (el) { el.remove(); });
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
