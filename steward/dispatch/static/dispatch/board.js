// The dispatch board: clicking (or Enter on) a job block or an unplanned work order puts its number
// into the move form, so assign/move/unassign is two clicks. Delegated, so it survives HTMX swaps.
(function () {
  function pick(el) {
    var wo = el.closest("[data-wo]");
    if (!wo) return;
    var input = document.getElementById("move-wo");
    if (!input) return;
    input.value = wo.getAttribute("data-wo");
    document.querySelectorAll(".picked").forEach(function (p) { p.classList.remove("picked"); });
    wo.classList.add("picked");
    var select = input.form && input.form.querySelector("select[name=technician]");
    if (select) select.focus();
  }
  document.addEventListener("click", function (e) { pick(e.target); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.hasAttribute && e.target.hasAttribute("data-wo")) pick(e.target);
  });
})();
