// Fills in the result page while a submission is graded, by polling its JSON status.
// Everything from the server is inserted with textContent: student output is never parsed as HTML.
(function () {
  "use strict";
  var root = document.getElementById("result");
  if (!root || root.dataset.finished === "true") { return; }
  var url = root.dataset.statusUrl;
  var labels = { queued: "queued", running: "grading", done: "graded", error: "grader error" };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function fmt(x) {
    if (x === null || x === undefined) { return "—"; }
    return String(Math.round(x * 100) / 100);
  }
  function renderStatus(status, regrading) {
    var holder = document.getElementById("status");
    holder.textContent = "";
    var pending = status === "queued" || status === "running";
    var badge = el("span", "badge " + status, regrading && pending ? "being regraded" : (labels[status] || status));
    badge.dataset.status = status;
    holder.appendChild(badge);
  }
  function renderTests(tests, finished) {
    var body = document.getElementById("results-body");
    body.textContent = "";
    if (!tests.length) {
      var row = el("tr", "placeholder");
      row.appendChild(el("td", "empty", finished ? "No results." : "Waiting for the first results…")).colSpan = 4;
      body.appendChild(row);
      return;
    }
    var groups = [];
    var byName = {};
    tests.forEach(function (t) {
      if (!byName[t.function]) { byName[t.function] = { name: t.function, tests: [] }; groups.push(byName[t.function]); }
      byName[t.function].tests.push(t);
    });
    groups.forEach(function (group) {
      var score = 0, max = 0;
      group.tests.forEach(function (t) { score += t.score; max += t.max_score; });
      var head = el("tr", "function-row");
      head.appendChild(el("td", "", group.name)).colSpan = 2;
      head.appendChild(el("td", "num", fmt(score) + " / " + fmt(max))).dataset.label = "Points";
      head.appendChild(el("td", "")).dataset.label = "";
      body.appendChild(head);
      group.tests.forEach(function (t) {
        var row = el("tr");
        row.appendChild(el("td", "", t.check || t.name)).dataset.label = "Check";
        var cell = el("td");
        cell.dataset.label = "Status";
        cell.appendChild(el("span", "badge " + t.status, t.status));
        row.appendChild(cell);
        var points = row.appendChild(el("td", "num", fmt(t.score) + " / " + fmt(t.max_score)));
        points.dataset.label = t.max_score ? "Points" : "Diagnostic";
        var message = el("td");
        message.dataset.label = "Message";
        if (t.mistake) { message.appendChild(el("strong", "", "Looks like: " + t.mistake)); }
        if (t.output) {
          var pre = el("pre", "output", t.output);
          pre.tabIndex = 0;  // a long message scrolls inside its box: reachable by keyboard
          message.appendChild(pre);
        }
        row.appendChild(message);
        body.appendChild(row);
      });
    });
  }
  function render(data) {
    var finished = data.status === "done" || data.status === "error";
    renderStatus(data.status, data.regrading);
    renderTests(data.tests, finished);
    var scored = data.tests.filter(function (t) { return t.max_score > 0; });
    var passed = scored.filter(function (t) { return t.status === "passed"; }).length;
    document.getElementById("checks-passed").textContent = scored.length ? passed + " / " + scored.length : "—";
    var grader = document.getElementById("grader-version");
    if (grader && data.grader_version) { grader.textContent = data.grader_version; }
    if (data.status === "done") {
      var score = document.getElementById("score");
      score.textContent = fmt(data.score) + " ";
      score.appendChild(el("small", "", "/ " + fmt(data.max_score)));
      document.getElementById("score-bar").style.width = (100 * data.score / (data.max_score || 1)) + "%";
      if (data.grading_seconds !== null) {
        document.getElementById("grading-time").textContent = data.grading_seconds.toFixed(1) + " s";
      }
      if (data.late_days && data.raw_score !== data.score) {
        var note = document.getElementById("late-note");
        note.textContent = "Late penalty applied: " + fmt(data.raw_score) + " points before the penalty.";
        note.hidden = false;
      }
    }
    document.getElementById("error-note").hidden = data.status !== "error";
    var regradeNote = document.getElementById("regrade-note");
    if (regradeNote) { regradeNote.hidden = !(data.regrading && !finished); }
    document.getElementById("live-note").hidden = finished;
    root.dataset.finished = finished ? "true" : "false";
    return finished;
  }
  var delay = 700;
  // The server says when the submission is worth reading again (Retry-After, in seconds): under a
  // deadline burst a queued submission is read every few seconds instead of several times a second.
  function hinted(response) {
    var seconds = parseInt(response.headers.get("Retry-After") || "", 10);
    return seconds > 0 ? Math.min(seconds, 10) * 1000 : 700;
  }
  function poll() {
    var next = 700;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } next = hinted(r); return r.json(); })
      .then(function (data) { if (!render(data)) { setTimeout(poll, next); } })
      .catch(function () { delay = Math.min(delay * 2, 10000); setTimeout(poll, delay); });
  }
  setTimeout(poll, 300);
})();
