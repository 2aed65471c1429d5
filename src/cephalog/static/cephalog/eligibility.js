// Consultation record: suggest a drug's class from the built-in catalogue as the name is typed.
// Without JavaScript the class can stay on "from the catalogue" and the server looks it up.
(function () {
  "use strict";

  var catalogue = null;

  function load() {
    if (catalogue === null) {
      var data = document.getElementById("catalogue");
      catalogue = data ? JSON.parse(data.textContent) : {};
    }
    return catalogue;
  }

  // Same rule as cephalog.domain.preventive_catalogue: whole name, then leading words.
  function lookup(table, name) {
    var words = name.toLowerCase().trim().split(/\s+/);
    for (var end = words.length; end > 0; end -= 1) {
      var key = words.slice(0, end).join(" ");
      if (Object.prototype.hasOwnProperty.call(table, key)) {
        return table[key];
      }
    }
    return null;
  }

  function suggest(input) {
    var form = input.closest("form[data-catalogue]");
    if (!form || !/-name$|^name$/.test(input.name)) {
      return;
    }
    var table = load()[form.getAttribute("data-catalogue")] || {};
    var select = form.querySelector("select[name$='drug_class']");
    if (!select) {
      return;
    }
    var found = lookup(table, input.value);
    // Only fill a class the user has not chosen themselves.
    if (found && (select.value === "" || select.dataset.suggested === "true")) {
      select.value = found;
      select.dataset.suggested = "true";
    } else if (!found && select.dataset.suggested === "true") {
      select.value = "";
      delete select.dataset.suggested;
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement) {
      suggest(target);
    } else if (target instanceof HTMLSelectElement && /drug_class$/.test(target.name)) {
      delete target.dataset.suggested;
    }
  });
})();
