/* The portal's small helpers; the pages work without them (CSP: no inline script, served from static/). */
(function () {
  "use strict";

  function norm(text) { return (text || "").toLowerCase().replace(/\s+/g, ""); }

  // A long member <select> gets a search box above it: typing keeps the matching names only, and a
  // single match is chosen. The select stays the field that is sent, so nothing changes server-side.
  function typeToFind(select) {
    var input = document.createElement("input");
    input.type = "search";
    input.className = "type-to-find";
    input.placeholder = select.getAttribute("data-type-to-find");
    input.setAttribute("aria-label", input.placeholder);
    input.autocomplete = "off";
    input.maxLength = 50;
    select.parentNode.insertBefore(input, select);
    var all = Array.prototype.slice.call(select.options);
    var blank = all.filter(function (o) { return o.value === ""; });
    var named = all.filter(function (o) { return o.value !== ""; });
    input.addEventListener("input", function () {
      var wanted = norm(input.value);
      var chosen = select.value;
      var hits = named.filter(function (o) { return norm(o.text).indexOf(wanted) !== -1; });
      while (select.options.length) { select.remove(0); }
      blank.concat(hits).forEach(function (o) { select.add(o); });
      if (hits.length === 1) { select.value = hits[0].value; }
      else if (hits.some(function (o) { return o.value === chosen; })) { select.value = chosen; }
      else { select.value = ""; }
    });
  }

  // A search box over a long table hides the rows that do not match.
  function filterRows(input) {
    var table = document.querySelector(input.getAttribute("data-filter-rows"));
    if (!table) { return; }
    input.addEventListener("input", function () {
      var wanted = norm(input.value);
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.hidden = wanted !== "" && norm(row.textContent).indexOf(wanted) === -1;
      });
    });
  }

  // A refused form: open its box, bring it into view and put the cursor in the first wrong field.
  function showRefusedForm() {
    var field = document.querySelector(".field.invalid");
    if (!field) { return; }
    var box = field.closest("details");
    if (box) { box.open = true; }
    var control = field.querySelector("input, select, textarea");
    field.scrollIntoView({ block: "center" });
    if (control) { control.focus({ preventScroll: true }); }
  }

  // A page opened at a part of it (#posts after ending a post): the messages about what was just done
  // are shown there, where the user looks, instead of at the top of the page above the screen.
  function messagesAtTheTarget() {
    var list = document.querySelector("ul.messages");
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!list || !target || document.querySelector(".field.invalid")) { return; }
    target.parentNode.insertBefore(list, target);
    // After the browser's own scroll to the target: bring the messages, just above it, on screen.
    window.addEventListener("load", function () { list.scrollIntoView({ block: "start" }); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-type-to-find]").forEach(typeToFind);
    document.querySelectorAll("input[data-filter-rows]").forEach(filterRows);
    messagesAtTheTarget();
  });
  // After the browser has scrolled to the address's #form-… (which would otherwise win over the focus).
  window.addEventListener("load", showRefusedForm);
})();
