// Sort any .sortable table by clicking a header; filter rows with its search box and
// checkboxes; open a row's explanation with its ▸ button. Sorting reads each cell's raw
// value (data-value), so "1.2 M" sorts as 1200000; an explanation row moves with its row.
(function () {
  "use strict";
  function cellValue(row, column) {
    var cell = row.querySelector('td[data-column="' + column + '"]');
    var text = cell ? cell.getAttribute("data-value").trim() : "";
    var number = Number(text);
    return text !== "" && !isNaN(number) ? number : text.toLowerCase();
  }
  function compare(a, b) {
    if (typeof a === typeof b) { return a < b ? -1 : a > b ? 1 : 0; }
    return typeof a === "number" ? -1 : 1; // numbers before text, empty cells last
  }
  function mainRows(table) {
    return Array.prototype.filter.call(table.tBodies[0].rows, function (row) {
      return row.classList.contains("main");
    });
  }
  function detailOf(row) {
    var next = row.nextElementSibling;
    return next && next.classList.contains("detail") ? next : null;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th[data-column]").forEach(function (header) {
      header.addEventListener("click", function () {
        var ascending = header.getAttribute("aria-sort") !== "ascending";
        var column = header.getAttribute("data-column");
        table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = mainRows(table).map(function (row) { return [row, detailOf(row)]; });
        rows.sort(function (r1, r2) {
          var order = compare(cellValue(r1[0], column), cellValue(r2[0], column));
          return ascending ? order : -order;
        });
        rows.forEach(function (pair) {
          body.appendChild(pair[0]);
          if (pair[1]) { body.appendChild(pair[1]); }
        });
      });
    });
    table.querySelectorAll("button.expand").forEach(function (button) {
      button.addEventListener("click", function () {
        var row = button.closest("tr");
        var detail = detailOf(row);
        var open = button.getAttribute("aria-expanded") !== "true";
        button.setAttribute("aria-expanded", open ? "true" : "false");
        button.textContent = open ? "▾" : "▸";
        if (detail) { detail.hidden = !open || row.hidden; }
      });
    });
  });
  function applyFilters(table) {
    var search = document.querySelector('input.table-search[data-table="' + table.id + '"]');
    var query = search ? search.value.trim().toLowerCase() : "";
    var required = [];
    document.querySelectorAll('input.row-filter-box[data-table="' + table.id + '"]')
      .forEach(function (box) { if (box.checked) { required.push(box.getAttribute("data-attribute")); } });
    mainRows(table).forEach(function (row) {
      var detail = detailOf(row);
      var text = row.textContent + (detail ? " " + detail.textContent : "");
      var hidden = query !== "" && text.toLowerCase().indexOf(query) === -1;
      required.forEach(function (attribute) {
        if (row.getAttribute("data-" + attribute) !== "true") { hidden = true; }
      });
      row.hidden = hidden;
      if (detail) {
        var button = row.querySelector("button.expand");
        detail.hidden = hidden || !(button && button.getAttribute("aria-expanded") === "true");
      }
    });
  }
  document.querySelectorAll("input.table-search, input.row-filter-box").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    input.addEventListener("input", function () { applyFilters(table); });
    input.addEventListener("change", function () { applyFilters(table); });
  });
})();
