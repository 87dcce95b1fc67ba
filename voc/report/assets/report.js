/* Report behaviour: draw figures from their JSON, sort and filter tables, filter theme cards.
   Plain JavaScript, no libraries besides the inlined Plotly; text is only ever set through
   textContent, never innerHTML, so data cannot become markup here. */
(function () {
  "use strict";

  function drawFigures() {
    if (typeof window.Plotly === "undefined") { return; }
    document.querySelectorAll("script.figure-data").forEach(function (node) {
      var target = document.getElementById(node.getAttribute("data-target"));
      if (!target) { return; }
      var spec = JSON.parse(node.textContent);
      var config = { displaylogo: false, responsive: true, displayModeBar: false };
      window.Plotly.newPlot(target, spec.data || [], spec.layout || {}, config);
    });
  }

  function cellKey(row, key, type) {
    var raw = row.getAttribute("data-" + key.replace(/_/g, "-"));
    if (type === "num") {
      var v = parseFloat(raw);
      return isNaN(v) ? null : v;
    }
    return raw === null ? "" : raw;
  }

  function sortTable(table, th) {
    var key = th.getAttribute("data-sort");
    var type = th.getAttribute("data-type") || "text";
    var asc = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th[data-sort]").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (r, i) { r._pos = i; });
    rows.sort(function (a, b) {
      var x = cellKey(a, key, type), y = cellKey(b, key, type);
      // Missing values go last whichever the direction, so "–" never tops a list.
      if (x === null || x === "") { return (y === null || y === "") ? a._pos - b._pos : 1; }
      if (y === null || y === "") { return -1; }
      var c = type === "num" ? x - y : String(x).localeCompare(String(y));
      if (c === 0) { return a._pos - b._pos; }
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  function setupSorting() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      table.querySelectorAll("th[data-sort]").forEach(function (th) {
        th.setAttribute("tabindex", "0");
        th.addEventListener("click", function () { sortTable(table, th); });
        th.addEventListener("keydown", function (e) {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortTable(table, th); }
        });
      });
    });
  }

  function showCount(id, shown, total) {
    var out = document.querySelector('[data-count-for="' + id + '"]');
    if (out) { out.textContent = shown === total ? total + " shown" : shown + " of " + total + " shown"; }
    var empty = document.querySelector('[data-empty-for="' + id + '"]');
    if (empty) { empty.hidden = shown !== 0; }
  }

  function filterTable(id) {
    var table = document.getElementById(id);
    if (!table) { return; }
    var controls = document.querySelectorAll('[data-filter-table="' + id + '"]');
    var text = "", attrs = [];
    controls.forEach(function (c) {
      var attr = c.getAttribute("data-filter-attr");
      if (attr) { if (c.value) { attrs.push([attr, c.value]); } }
      else { text = c.value.trim().toLowerCase(); }
    });
    var rows = table.tBodies[0].rows, shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var ok = !text || r.textContent.toLowerCase().indexOf(text) !== -1;
      attrs.forEach(function (a) { if (r.getAttribute("data-" + a[0]) !== a[1]) { ok = false; } });
      r.hidden = !ok;
      if (ok) { shown++; }
    }
    showCount(id, shown, rows.length);
  }

  function filterCards(id, query) {
    var box = document.getElementById(id);
    if (!box) { return; }
    var q = query.trim().toLowerCase(), cards = box.querySelectorAll("article.card.theme"), shown = 0;
    for (var i = 0; i < cards.length; i++) {
      var hay = (cards[i].getAttribute("data-search") || "") + " " + cards[i].textContent.toLowerCase();
      var ok = !q || hay.indexOf(q) !== -1;
      cards[i].hidden = !ok;
      if (ok) { shown++; }
    }
    // a search looks through the folded themes too: open their list while a query is typed
    box.querySelectorAll("details.more-themes").forEach(function (d) {
      if (q) { d.open = true; }
    });
    showCount(id, shown, cards.length);
  }

  function setupFilters() {
    document.querySelectorAll("[data-filter-table]").forEach(function (c) {
      var id = c.getAttribute("data-filter-table");
      c.addEventListener("input", function () { filterTable(id); });
      c.addEventListener("change", function () { filterTable(id); });
      filterTable(id);
    });
    document.querySelectorAll("[data-filter-cards]").forEach(function (c) {
      var id = c.getAttribute("data-filter-cards");
      c.addEventListener("input", function () { filterCards(id, c.value); });
      filterCards(id, c.value);
    });
  }

  function setupRecordLinks() {
    // A quote links to its record row, which sits in a collapsed list: open it and flash the row.
    document.addEventListener("click", function (e) {
      var link = e.target.closest ? e.target.closest("a.rec") : null;
      if (!link) { return; }
      var row = document.getElementById(link.getAttribute("href").slice(1));
      if (!row) { return; }
      e.preventDefault();
      for (var d = row.closest("details"); d; d = d.parentElement ? d.parentElement.closest("details") : null) {
        d.open = true;
      }
      row.scrollIntoView({ block: "center" });
      row.classList.add("flash");
      setTimeout(function () { row.classList.remove("flash"); }, 1600);
    });
  }

  function setupThemeLinks() {
    // A link to a theme (priority table, alerts, map) opens its card when the card is folded.
    function openTarget() {
      var id = window.location.hash.slice(1);
      var card = id ? document.getElementById(id) : null;
      var details = card && card.querySelector ? card.querySelector("details.theme-detail") : null;
      if (details) { details.open = true; }
      var more = card && card.closest ? card.closest("details.more-themes") : null;
      if (more) { more.open = true; card.scrollIntoView(); }
    }
    window.addEventListener("hashchange", openTarget);
    openTarget();
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  }

  function start() {
    setupThemeLinks();
    setupSorting();
    setupFilters();
    setupRecordLinks();
    drawFigures();
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
