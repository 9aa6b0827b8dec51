// Steward's small client glue. HTMX does the work; this only adds keyboard shortcuts.
document.addEventListener("keydown", function (event) {
  // "/" focuses the page's search box, as in most list-heavy tools.
  if (event.key === "/" && !/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) {
    var search = document.querySelector(".filters input[type=search]");
    if (search) { event.preventDefault(); search.focus(); }
  }
});
