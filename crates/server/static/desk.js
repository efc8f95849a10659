// The desk's keys (SPEC §7): j/k move through the queue, Enter opens, r reply, n note, ? lists
// them. Everything works without this script; it only saves the mouse.
(function () {
  "use strict";
  var typing = function (e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  };
  var rows = function () { return Array.prototype.slice.call(document.querySelectorAll("[data-queue] tbody tr")); };
  var at = -1;
  var select = function (i) {
    var all = rows();
    if (!all.length) return;
    at = Math.max(0, Math.min(all.length - 1, i));
    all.forEach(function (r, n) { r.setAttribute("aria-selected", n === at ? "true" : "false"); });
    all[at].scrollIntoView({ block: "nearest" });
  };
  document.addEventListener("keydown", function (e) {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    var body = document.getElementById("body");
    if (e.key === "j") { select(at + 1); e.preventDefault(); }
    else if (e.key === "k") { select(at - 1); e.preventDefault(); }
    else if (e.key === "Enter" && at >= 0) {
      var link = rows()[at].querySelector("a");
      if (link) { link.click(); e.preventDefault(); }
    }
    else if ((e.key === "r" || e.key === "n") && body) { body.focus(); e.preventDefault(); }
    else if (e.key === "?") { alert("j / k: move · Enter: open · r: reply · n: note"); }
  });
})();
