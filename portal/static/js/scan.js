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

  function follow(text) {
    var url;
    try { url = new URL(text, window.location.href); } catch (e) { return false; }
    if (url.origin !== window.location.origin || url.pathname.indexOf("/a/") !== 0) return false;
    halt();
    status.textContent = "Found it. Opening…";
    window.location.assign(url.pathname);
    return true;
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
