// Camera scanning with the browser's own barcode reader (BarcodeDetector) where it exists;
// everywhere else the short-code form does the job. No library: nothing to download on bad signal.
(function () {
  "use strict";
  var start = document.getElementById("scan-start");
  if (!start || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  var panel = document.getElementById("scanner");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var stop = document.getElementById("scan-stop");
  var stream = null;
  var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  start.hidden = false;
  document.getElementById("scan-unsupported").textContent =
    "No camera? Type the short code printed under the QR code, or the asset tag.";

  function halt() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    panel.hidden = true;
    start.hidden = false;
  }

  // data-scan-path: which of our links a QR may open (asset labels: /a/); data-scan-codes: a QR
  // holding a plain code (a PO number) is typed into the form and looked up.
  var path = start.getAttribute("data-scan-path") || "/a/";
  var takesCodes = start.hasAttribute("data-scan-codes");

  function follow(text) {
    var url = null;
    if (/^(https?:\/\/|\/)/.test(text)) {
      try { url = new URL(text, window.location.href); } catch (e) { url = null; }
    }
    if (url && url.origin === window.location.origin && url.pathname.indexOf(path) === 0) {
      halt();
      status.textContent = "Found it. Opening…";
      window.location.assign(url.pathname + url.search);
      return true;
    }
    if (!url && takesCodes && /^[A-Za-z0-9 _-]{4,40}$/.test(text)) {
      var code = document.getElementById("code");
      halt();
      status.textContent = "Found " + text + ". Opening…";
      code.value = text;
      code.form.submit();
      return true;
    }
    return false;
  }

  function tick() {
    if (!stream) return;
    detector.detect(video).then(function (codes) {
      for (var i = 0; i < codes.length; i++) { if (follow(codes[i].rawValue)) return; }
      if (codes.length) status.textContent = "That code is not a Field Portal label.";
      window.setTimeout(tick, 250);
    }).catch(function () { window.setTimeout(tick, 500); });
  }

  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        panel.hidden = false;
        start.hidden = true;
        return video.play();
      })
      .then(tick)
      .catch(function () {
        halt();
        status.textContent = "The camera is not available. Type the code instead.";
        document.getElementById("code").focus();
      });
  });
  stop.addEventListener("click", halt);
  window.addEventListener("pagehide", halt);
})();
