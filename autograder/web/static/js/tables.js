// Labels each cell of a "cards" table with its column header, so that on a phone, where the
// table reflows into one stacked card per row, every value still says what it is.
(function () {
  "use strict";
  function label(table) {
    var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.replace(/[↕↑↓]/g, "").trim();
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;  // the header a cell sits under, counting the columns that cells before it span
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (cell.dataset.label === undefined && cell.colSpan === 1 && names[column]) { cell.dataset.label = names[column]; }
          column += cell.colSpan;
        });
      });
    });
  }
  window.labelTableCells = label;
  document.querySelectorAll("table.cards").forEach(label);
})();

// Tables marked data-page-size get a search box and pages of that many rows (all rows stay in
// the page, so sorting and searching cover every student, not only the page shown).
(function () {
  "use strict";
  var count = 0;
  document.querySelectorAll("table[data-page-size]").forEach(function (table) {
    var size = parseInt(table.dataset.pageSize, 10) || 50;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).filter(function (row) { return !row.querySelector(".empty"); });
    if (!rows.length) { return; }
    count += 1;
    var id = "table-search-" + count;
    var bar = document.createElement("div");
    bar.className = "toolbar";
    bar.innerHTML = '<div><label for="' + id + '">Search</label><input type="search" id="' + id + '" autocomplete="off"></div>';
    var pager = document.createElement("div");
    pager.className = "pager";
    pager.innerHTML = '<button type="button" class="secondary" data-step="-1">Previous page</button>' +
      '<span role="status" aria-live="polite"></span><button type="button" class="secondary" data-step="1">Next page</button>';
    var wrap = table.closest(".table-wrap") || table;
    wrap.parentNode.insertBefore(bar, wrap);
    wrap.parentNode.insertBefore(pager, wrap.nextSibling);
    var input = bar.querySelector("input"), status = pager.querySelector("span");
    var page = 0;
    function matching() {
      var needle = input.value.trim().toLowerCase();
      return Array.prototype.slice.call(body.rows).filter(function (row) {
        return !row.querySelector(".empty") && (!needle || row.textContent.toLowerCase().indexOf(needle) >= 0);
      });
    }
    function show() {
      var found = matching();
      var pages = Math.max(1, Math.ceil(found.length / size));
      page = Math.min(Math.max(page, 0), pages - 1);
      Array.prototype.forEach.call(body.rows, function (row) { row.hidden = true; });
      found.slice(page * size, (page + 1) * size).forEach(function (row) { row.hidden = false; });
      var first = found.length ? page * size + 1 : 0, last = Math.min(found.length, (page + 1) * size);
      status.textContent = "Rows " + first + "–" + last + " of " + found.length + (found.length !== rows.length ? " (of " + rows.length + ")" : "");
      pager.querySelector("[data-step='-1']").disabled = page === 0;
      pager.querySelector("[data-step='1']").disabled = page >= pages - 1;
    }
    input.addEventListener("input", function () { page = 0; show(); });
    pager.addEventListener("click", function (event) {
      var step = event.target.dataset && event.target.dataset.step;
      if (step) { page += parseInt(step, 10); show(); }
    });
    // Sorting reorders the rows: show the first page of the new order.
    table.addEventListener("click", function (event) { if (event.target.closest(".sort-button")) { page = 0; show(); } });
    show();
  });
})();
