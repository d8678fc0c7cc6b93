"use strict";
(function () {
  var link = document.getElementById("continue");
  if (!link) { return; }
  var target = link.getAttribute("data-redirect");
  var frames = document.querySelectorAll("iframe.frontchannel");
  var pending = frames.length;
  var done = false;
  function go() { if (!done) { done = true; window.location.assign(target); } }
  if (pending === 0) { go(); return; }
  Array.prototype.forEach.call(frames, function (frame) {
    frame.addEventListener("load", function () { pending -= 1; if (pending <= 0) { go(); } });
  });
  window.setTimeout(go, 5000);
})();
