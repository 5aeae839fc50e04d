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
