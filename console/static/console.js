// The activity feed's live updates: every few seconds, ask for the rows
// newer than the newest shown and put them on top. Everything else in the
// console works without this script.
(function () {
  "use strict";
  var table = document.getElementById("activity");
  if (!table || !table.dataset.poll) { return; }
  var body = table.tBodies[0];
  var after = table.dataset.after || "0";
  var busy = false;
  function poll() {
    if (busy || document.hidden) { return; }
    busy = true;
    var url = table.dataset.poll + (table.dataset.poll.indexOf("?") < 0 ? "?" : "&") + "after=" + encodeURIComponent(after);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (res) {
        if (!res.ok || res.redirected) { throw new Error("feed " + res.status); }
        return res.text();
      })
      .then(function (html) {
        var tmp = document.createElement("tbody");
        tmp.innerHTML = html;
        var rows = Array.prototype.slice.call(tmp.querySelectorAll("tr[data-seq]"));
        if (rows.length === 0) { return; }
        after = rows[0].dataset.seq;
        table.dataset.after = after;
        for (var i = rows.length - 1; i >= 0; i--) {
          rows[i].classList.add("new");
          body.insertBefore(rows[i], body.firstChild);
        }
        var none = document.getElementById("no-activity");
        if (none) { none.remove(); }
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { busy = false; });
  }
  setInterval(poll, 3000);
})();
