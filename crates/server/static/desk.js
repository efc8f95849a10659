// The desk's keys and live queue (SPEC §7). Everything works without this script: it only saves
// the mouse, and keeps an open queue current.
//
// Keys: j / k move through the queue, Enter opens, r reply, n note, a take, c a canned reply,
// / search, ? the list. Live updates poll the page's own URL every 10 s while the tab is visible and swap in its
// rows: polling rather than server-sent events because it passes every proxy, holds no
// connection open against the server's connection cap, needs nothing shared between instances,
// and a page of 50 rows costs the server a few milliseconds.
(function () {
  "use strict";
  var typing = function (e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  };
  var rows = function () { return Array.prototype.slice.call(document.querySelectorAll("[data-queue] tbody tr, [data-results] > li")); };
  // What the keys do is said to screen readers too, in the page's language.
  var announcer = document.getElementById("announce");
  var announce = function (text) { if (announcer) announcer.textContent = text; };
  var at = -1;
  var select = function (i) {
    var all = rows();
    if (!all.length) return;
    at = Math.max(0, Math.min(all.length - 1, i));
    all.forEach(function (r, n) { r.setAttribute("aria-selected", n === at ? "true" : "false"); });
    all[at].scrollIntoView({ block: "nearest" });
    announce((at + 1) + "/" + all.length + ": " + all[at].innerText.replace(/\s+/g, " ").trim());
  };
  var submit = function (action) {
    var form = document.querySelector("form[action$='/" + action + "']");
    if (form) form.submit();
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
    else if (e.key === "a") { submit("take"); }
    else if (e.key === "c" && document.getElementById("canned-filter")) {
      document.getElementById("canned-filter").focus(); e.preventDefault();
    }
    else if (e.key === "/") {
      var box = document.getElementById("desk-search");
      if (box) { box.focus(); box.select(); e.preventDefault(); }
    }
    else if (e.key === "?") {
      var keys = announcer ? announcer.getAttribute("data-keys") : "";
      announce(keys);
      alert(keys);
    }
  });

  // Canned replies (SPEC §7): the picker's list becomes a box that filters as you type; arrows
  // move, Enter or a click puts the reply, filled in for this case, into the reply box.
  var pick = document.querySelector("[data-canned]");
  if (pick && window.fetch) {
    var choices = Array.prototype.map.call(pick.querySelectorAll("option"), function (o) {
      return { id: o.value, name: o.textContent };
    });
    var filter = document.createElement("input");
    filter.type = "search";
    filter.id = "canned-filter";
    filter.placeholder = pick.getAttribute("data-placeholder");
    filter.setAttribute("aria-label", filter.placeholder);
    filter.setAttribute("role", "combobox");
    filter.setAttribute("aria-autocomplete", "list");
    filter.setAttribute("aria-expanded", "false");
    filter.setAttribute("aria-controls", "canned-list");
    filter.autocomplete = "off";
    var list = document.createElement("ul");
    list.id = "canned-list";
    list.className = "canned-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    Array.prototype.forEach.call(pick.querySelectorAll("select, button"), function (el) { el.hidden = true; });
    pick.appendChild(filter);
    pick.appendChild(list);
    var shown = [], active = 0;
    var draw = function () {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      shown = choices.filter(function (c) {
        var name = c.name.toLowerCase();
        return words.every(function (w) { return name.indexOf(w) >= 0; });
      });
      active = Math.min(active, Math.max(shown.length - 1, 0));
      list.innerHTML = "";
      shown.forEach(function (c, n) {
        var li = document.createElement("li");
        li.id = "canned-option-" + c.id;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", n === active ? "true" : "false");
        li.textContent = c.name;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); use(c); });
        list.appendChild(li);
      });
      if (!shown.length) {
        var none = document.createElement("li");
        none.className = "none";
        none.textContent = pick.getAttribute("data-none");
        list.appendChild(none);
      }
      list.hidden = false;
      filter.setAttribute("aria-expanded", "true");
      if (shown[active]) filter.setAttribute("aria-activedescendant", "canned-option-" + shown[active].id);
    };
    var close = function () {
      list.hidden = true;
      filter.setAttribute("aria-expanded", "false");
      filter.removeAttribute("aria-activedescendant");
    };
    var use = function (c) {
      close();
      fetch(pick.getAttribute("data-canned") + "/" + c.id, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (got) {
          if (!got) return;
          var body = document.getElementById("body");
          // Into an empty box as it is; after what is there, otherwise.
          body.value = body.value.trim() ? body.value.replace(/\s+$/, "") + "\n\n" + got.body : got.body;
          document.getElementById("canned-id").value = got.id;
          var does = document.getElementById("canned-does");
          does.textContent = got.does;
          does.hidden = !got.does;
          var wait = document.querySelector("#reply input[name=wait]");
          if (wait && got.set_status === "pending_customer") wait.checked = true;
          filter.value = "";
          body.focus();
          announce(got.name + (got.does ? ". " + got.does : ""));
        })
        .catch(function () {});
    };
    filter.addEventListener("input", function () { active = 0; draw(); });
    filter.addEventListener("focus", draw);
    filter.addEventListener("blur", close);
    filter.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        if (list.hidden) draw();
        active = Math.max(0, Math.min(shown.length - 1, active + (e.key === "ArrowDown" ? 1 : -1)));
        draw();
        e.preventDefault();
      } else if (e.key === "Enter") {
        if (shown[active]) use(shown[active]);
        e.preventDefault();
      } else if (e.key === "Escape") {
        close();
        document.getElementById("body").focus();
      }
    });
  }

  // A held reply (SPEC §7): once its time has passed, reload to show it sent (or the undo gone).
  var held = document.querySelector("form.undo[data-until]");
  if (held) {
    var wait = Date.parse(held.getAttribute("data-until")) - Date.now();
    if (wait > -5000) setTimeout(function () { location.reload(); }, Math.max(wait, 0) + 1500);
  }

  // Who else has this case open (SPEC §7): the page says it is here every 5 s while visible, and
  // shows the others the answer names.
  var viewers = document.querySelector("[data-viewers]");
  if (viewers && window.fetch) {
    var label = viewers.firstChild ? viewers.firstChild.textContent : "";
    setInterval(function () {
      if (document.visibilityState !== "visible") return;
      fetch(viewers.getAttribute("data-viewers"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (!body) return;
          var names = body.others.join(", ");
          viewers.hidden = names === "";
          viewers.textContent = label;
          var strong = document.createElement("strong");
          strong.textContent = names;
          viewers.appendChild(strong);
        })
        .catch(function () {});
    }, 5000);
  }

  var queue = document.querySelector("[data-queue]");
  if (!queue || !window.fetch || !window.DOMParser) return;
  var refresh = function () {
    if (document.visibilityState !== "visible") return;
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-queue] tbody");
        var current = document.querySelector("[data-queue] tbody");
        if (fresh && current && fresh.innerHTML !== current.innerHTML) {
          current.replaceWith(fresh);
          if (at >= 0) select(at);
        }
      })
      .catch(function () {});
  };
  setInterval(refresh, 10000);
})();
