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

  function setUp() {
    var list = document.querySelector("[data-medicines]");
    var button = document.querySelector("[data-add-medicine]");
    var total = document.getElementById("id_med-TOTAL_FORMS");
    var max = document.getElementById("id_med-MAX_NUM_FORMS");
    if (!list || !button || !total) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
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

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
