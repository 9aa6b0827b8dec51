// Steward desk: SLA countdowns that tick and change colour, list selection, keyboard shortcuts.
// Our own small script, no library. The server renders every state; this only moves it on as
// time passes (the same comparisons as steward/desk/sla_display.py) and adds the keys.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var RANK = { met: 1, paused: 2, running: 3, warning: 4, breached: 5 };
  var LABELS = { breached: "Breached", warning: "Warning", running: "On track", paused: "Paused", met: "Met" };

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  // "in 2h 05m", "in 4m 09s", "1d 3h overdue" (as sla_display.countdown).
  function countdown(seconds) {
    var late = seconds < 0;
    var total = Math.floor(Math.abs(seconds));
    var days = Math.floor(total / 86400);
    var hours = Math.floor((total % 86400) / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var secs = total % 60;
    var text = days ? days + "d " + hours + "h" : hours ? hours + "h " + pad(minutes) + "m" : minutes + "m " + pad(secs) + "s";
    return late ? text + " overdue" : "in " + text;
  }

  // A clock's state at `now`: warning once its warning instant has come, breached once its
  // deadline has passed (a reply at the deadline instant itself still meets). Never better than
  // the state the server rendered.
  function stateAt(el, now) {
    var state = el.getAttribute("data-state");
    var deadline = Date.parse(el.getAttribute("data-deadline") || "");
    var warningAt = Date.parse(el.getAttribute("data-warning-at") || "");
    var next = state;
    if (!isNaN(deadline) && now > deadline) next = "breached";
    else if (!isNaN(warningAt) && now >= warningAt) next = "warning";
    return (RANK[next] || 0) > (RANK[state] || 0) ? next : state;
  }

  function tick() {
    var now = Date.now();
    var clocks = document.querySelectorAll("[data-sla][data-deadline]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      var state = stateAt(el, now);
      if (state !== el.getAttribute("data-state")) {
        el.classList.remove("sla-" + el.getAttribute("data-state"));
        el.classList.add("sla-" + state);
        el.setAttribute("data-state", state);
        var label = el.querySelector("[data-sla-label]");
        if (label) label.textContent = LABELS[state] || state;
      }
      var counter = el.querySelector("[data-countdown]");
      if (counter) counter.textContent = countdown((Date.parse(el.getAttribute("data-deadline")) - now) / 1000);
    }
  }

  // --- list selection -------------------------------------------------------------------------

  var current = -1;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-row]")); }

  function select(index) {
    var all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) {
      row.classList.toggle("current", i === current);
      if (i === current) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    });
    var link = all[current].querySelector(".ticket-link");
    if (link) link.focus({ preventScroll: true });
    all[current].scrollIntoView({ block: "nearest" });
  }

  function currentRow() {
    var all = rows();
    var focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("[data-row]");
    if (focused) { current = all.indexOf(focused); return focused; }
    return all[current] || null;
  }

  function updateCount() {
    var out = document.querySelector("[data-selected-count]");
    if (!out) return;
    var n = document.querySelectorAll("input[name=ids][form=bulk-form]:checked").length;
    out.textContent = n ? n + " ticked:" : "Tick tickets (x) for bulk actions";
    var bulk = document.getElementById("bulk-form");
    if (bulk) bulk.classList.toggle("has-selection", n > 0);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-select-all]")) {
      var boxes = document.querySelectorAll("input[name=ids][form=bulk-form]");
      for (var i = 0; i < boxes.length; i++) boxes[i].checked = target.checked;
    }
    if (target.name === "ids" || (target.matches && target.matches("[data-select-all]"))) updateCount();
  });

  // The account autocomplete: show the picked name in the box; Enter picks the first match.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-account-name]");
    if (!button) return;
    var box = document.getElementById("account-search");
    if (box) box.value = button.getAttribute("data-account-name");
  });

  // --- shortcuts ------------------------------------------------------------------------------

  var pendingG = 0;

  // Keys go to the field being typed in; a ticked checkbox or a pressed button keeps the shortcuts.
  function typing(el) {
    if (!el) return false;
    if (el.tagName === "INPUT") return !/^(checkbox|radio|button|submit|reset)$/.test(el.type);
    return /^(TEXTAREA|SELECT)$/.test(el.tagName) || el.isContentEditable;
  }

  function help() { return document.getElementById("shortcut-help"); }

  function toggleHelp() {
    var dialog = help();
    if (!dialog) return;
    if (dialog.open) dialog.close();
    else dialog.showModal();
  }

  function compose(kind) {
    var radio = document.querySelector("input[name=kind][value=" + kind + "]");
    var body = document.getElementById("id_body");
    if (!radio || !body) return false;
    radio.checked = true;
    body.scrollIntoView({ block: "center" });
    body.focus();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && target.getAttribute && target.getAttribute("data-autocomplete") && event.key === "Enter") {
      // Enter in the account search picks the first match instead of submitting the form.
      event.preventDefault();
      var first = document.querySelector(target.getAttribute("data-autocomplete") + " button");
      if (first) first.click();
      return;
    }
    if (typing(target)) return;
    var key = event.key;
    if (pendingG && Date.now() - pendingG < 1500) {
      pendingG = 0;
      var dialog = help();
      var urls = dialog ? JSON.parse(dialog.getAttribute("data-queue-urls") || "{}") : {};
      if (urls[key]) { event.preventDefault(); window.location.assign(urls[key]); }
      return;
    }
    pendingG = 0;
    if (key === "?") { event.preventDefault(); toggleHelp(); return; }
    if (help() && help().open) return;
    if (key === "g") { pendingG = Date.now(); return; }
    if (key === "j" || key === "k") {
      if (!rows().length) return;
      event.preventDefault();
      var row = currentRow();
      var at = row ? rows().indexOf(row) : -1;
      select(key === "j" ? at + 1 : at < 0 ? 0 : at - 1);
      return;
    }
    if (key === "o" || key === "Enter") {
      var open = currentRow();
      if (open && (key === "o" || target === document.body)) {
        event.preventDefault();
        window.location.assign(open.getAttribute("data-href"));
      }
      return;
    }
    if (key === "x") {
      var tickRow = currentRow();
      var box = tickRow && tickRow.querySelector("input[name=ids]");
      if (box) { event.preventDefault(); box.checked = !box.checked; updateCount(); }
      return;
    }
    if ((key === "r" || key === "n") && compose(key === "r" ? "reply" : "note")) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-shortcut-help]")) toggleHelp();
  });

  // A swapped list starts without a selection; its clocks tick at once.
  document.addEventListener("htmx:afterSwap", function () { current = -1; tick(); updateCount(); });

  function start() {
    tick();
    updateCount();
    // On a phone the queue tabs scroll sideways: keep the current one in view.
    var active = document.querySelector(".queue-nav a.active");
    if (active && active.parentNode.scrollWidth > active.parentNode.clientWidth) {
      active.parentNode.scrollLeft = active.offsetLeft - active.parentNode.offsetLeft - 8;
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  window.setInterval(tick, 1000);
})();
