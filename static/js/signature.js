// Glue between signature_pad and the signing form: the drawing travels in a hidden field as
// a PNG data URL. Without JavaScript the form still posts, and the server asks for a drawing.
(function () {
  "use strict";
  var form = document.querySelector("[data-signature-form]");
  var canvas = form && form.querySelector("[data-signature-pad]");
  if (!canvas || typeof window.SignaturePad === "undefined") {
    return;
  }
  var output = form.querySelector("[data-signature-output]");
  var empty = form.querySelector("[data-signature-empty]");
  var pad = new window.SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: "#111" });

  // The canvas's drawing buffer must match its displayed size times the pixel ratio, or the
  // strokes land away from the finger. Resizing clears it, so the strokes are put back.
  function fit() {
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var strokes = pad.toData();
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
    pad.fromData(strokes);
  }

  pad.addEventListener("beginStroke", function () {
    empty.classList.add("d-none");
  });
  window.addEventListener("resize", fit);
  fit();
  form.querySelector("[data-signature-clear]").addEventListener("click", function () {
    pad.clear();
    output.value = "";
  });
  form.addEventListener("submit", function (event) {
    if (pad.isEmpty()) {
      event.preventDefault();
      empty.classList.remove("d-none");
      return;
    }
    empty.classList.add("d-none");
    output.value = pad.toDataURL("image/png");
  });
})();
