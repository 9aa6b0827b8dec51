// The technician's phone view: the signature pad (pointer events on a <canvas>, sent as a PNG data
// URL) and the position attached to status changes when the phone will tell it. No library.
(function () {
  "use strict";

  function setupSignature() {
    var canvas = document.getElementById("signature-pad");
    var form = document.getElementById("complete-form");
    if (!canvas || !form) return;
    var ctx = canvas.getContext("2d");
    var drawing = false, signed = false, last = null;
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";

    function point(e) {
      var r = canvas.getBoundingClientRect();
      return { x: (e.clientX - r.left) * canvas.width / r.width, y: (e.clientY - r.top) * canvas.height / r.height };
    }
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true; last = point(e); canvas.setPointerCapture(e.pointerId);
      ctx.beginPath(); ctx.arc(last.x, last.y, 1.5, 0, 2 * Math.PI); ctx.fill(); signed = true;
      e.preventDefault();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return;
      var p = point(e);
      ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
      last = p; signed = true; e.preventDefault();
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () { drawing = false; });
    });
    document.getElementById("signature-clear").addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); signed = false;
    });
    form.addEventListener("submit", function () {
      document.getElementById("signature-data").value = signed ? canvas.toDataURL("image/png") : "";
    });
  }

  function setupPosition() {
    // Fill the hidden lat/lon of status forms with the last known position (if the phone allows).
    if (!navigator.geolocation || !document.querySelector("form.tech-geo")) return;
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.querySelectorAll("form.tech-geo").forEach(function (form) {
        form.querySelector("input[name=lat]").value = pos.coords.latitude.toFixed(6);
        form.querySelector("input[name=lon]").value = pos.coords.longitude.toFixed(6);
      });
    }, function () {}, { maximumAge: 300000, timeout: 5000 });
  }

  document.addEventListener("DOMContentLoaded", function () { setupSignature(); setupPosition(); });
})();
