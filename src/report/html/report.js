// pyaudit HTML report: filters, sorting and paging of long rule groups. The page is complete
// without this script. Data from the scanned code is only ever set as textContent, never
// parsed as HTML.
(function () {
  "use strict";
  var PAGE = 100;
  var SEVERITIES = ["critical", "high", "medium", "low"];
  var CONFIDENCES = ["high", "medium", "low"];
  var dataEl = document.getElementById("pyaudit-data");
  var controls = document.getElementById("controls");
  if (!dataEl || !controls) return;
  var data = JSON.parse(dataEl.textContent);
  var groups = Array.prototype.slice.call(document.querySelectorAll("#findings details.group"));
  var limits = new Map();
  groups.forEach(function (g) { limits.set(g, PAGE); });

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function checkboxes(name, values, counts) {
    var box = el("fieldset", { "class": "boxes", "data-filter": name });
    box.appendChild(el("legend", {}, name));
    values.forEach(function (v) {
      var label = el("label", { "class": "chk sev-" + v });
      var input = el("input", { type: "checkbox", name: name, value: v });
      input.checked = true;
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + v + (counts ? " (" + (counts[v] || 0) + ")" : "")));
      box.appendChild(label);
    });
    return box;
  }

  var sevBox = checkboxes("severity", SEVERITIES, data.by_severity);
  var confBox = checkboxes("confidence", CONFIDENCES, null);
  var ruleField = el("label", { "class": "field" }, "rule ");
  var ruleSel = el("select", { name: "rule" });
  ruleSel.appendChild(el("option", { value: "" }, "all rules (" + data.total + ")"));
  data.rules.forEach(function (r) {
    ruleSel.appendChild(el("option", { value: r.id }, r.id + " " + r.name + " (" + r.count + ")"));
  });
  ruleField.appendChild(ruleSel);
  var pathField = el("label", { "class": "field" }, "path ");
  var pathInput = el("input", { type: "search", name: "path", placeholder: "part of a file path" });
  pathField.appendChild(pathInput);
  var sortField = el("label", { "class": "field" }, "sort ");
  var sortSel = el("select", { name: "sort" });
  sortSel.appendChild(el("option", { value: "severity" }, "by severity"));
  sortSel.appendChild(el("option", { value: "path" }, "by path"));
  sortField.appendChild(sortSel);
  var reset = el("button", { type: "button", "class": "reset" }, "reset");
  [sevBox, confBox, ruleField, pathField, sortField, reset].forEach(function (c) { controls.appendChild(c); });
  controls.hidden = false;
  var status = document.getElementById("status");

  function checked(box) {
    var on = {};
    box.querySelectorAll("input").forEach(function (i) { if (i.checked) on[i.value] = true; });
    return on;
  }
  var RANK = { critical: 3, high: 2, medium: 1, low: 0 };
  // The path is the location link's text without its ":line:column".
  function pathOf(a) {
    if (a._path === undefined) a._path = a.querySelector(".loc").textContent.replace(/:\d+:\d+$/, "");
    return a._path;
  }
  function byPath(a, b) {
    var pa = pathOf(a), pb = pathOf(b);
    if (pa !== pb) return pa < pb ? -1 : 1;
    return Number(a.getAttribute("data-line")) - Number(b.getAttribute("data-line"));
  }
  function bySeverity(a, b) {
    return RANK[b.getAttribute("data-sev")] - RANK[a.getAttribute("data-sev")] || byPath(a, b);
  }
  function sort() {
    var cmp = sortSel.value === "path" ? byPath : bySeverity;
    document.querySelectorAll("div.list").forEach(function (list) {
      var items = Array.prototype.slice.call(list.querySelectorAll(":scope > article.f"));
      items.sort(cmp).forEach(function (a) { list.appendChild(a); });
    });
    apply();
  }
  function apply() {
    var sev = checked(sevBox), conf = checked(confBox);
    var rule = ruleSel.value, q = pathInput.value.trim().toLowerCase();
    var shown = 0, total = 0;
    groups.forEach(function (g) {
      var list = g.querySelector("div.list");
      var items = list.querySelectorAll(":scope > article.f");
      var matches = 0, limit = limits.get(g);
      items.forEach(function (a) {
        var ok = sev[a.getAttribute("data-sev")] && conf[a.getAttribute("data-conf")] &&
          (!rule || a.getAttribute("data-rule") === rule) &&
          (!q || pathOf(a).toLowerCase().indexOf(q) !== -1);
        if (ok) matches++;
        a.hidden = !ok || matches > limit;
      });
      total += items.length;
      shown += matches;
      g.hidden = matches === 0;
      var more = list.querySelector(":scope > button.more");
      if (matches > limit) {
        if (!more) {
          more = el("button", { type: "button", "class": "more" });
          more.addEventListener("click", function () { limits.set(g, Infinity); apply(); });
          list.appendChild(more);
        }
        more.textContent = "Show " + (matches - limit) + " more";
        more.hidden = false;
      } else if (more) {
        more.hidden = true;
      }
      var count = g.querySelector("summary .count");
      if (count) count.textContent = (matches === items.length ? "" : matches + " of ") + items.length + (items.length === 1 ? " finding" : " findings");
    });
    status.textContent = "Showing " + shown + " of " + total + " findings.";
    status.setAttribute("data-shown", String(shown));
  }
  controls.addEventListener("change", apply);
  pathInput.addEventListener("input", apply);
  sortSel.addEventListener("change", sort);
  reset.addEventListener("click", function () {
    controls.querySelectorAll("input[type=checkbox]").forEach(function (i) { i.checked = true; });
    ruleSel.value = "";
    pathInput.value = "";
    apply();
  });
  // A link to a finding opens its group, which may be closed or paged.
  function reveal() {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (!target) return;
    var g = target.closest("details");
    if (g) { g.open = true; limits.set(g, Infinity); apply(); }
  }
  window.addEventListener("hashchange", reveal);
  apply();
  reveal();
})();
