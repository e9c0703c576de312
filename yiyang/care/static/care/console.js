// The console's live queue: htmx polls the fragment every second with the last cursor (204 when nothing
// changed); a new alarm plays a tone.
(function () {
  var queue = document.getElementById("queue");
  if (!queue) return;
  var seen = null;
  var audio = null;
  function beep() {
    var box = document.getElementById("sound-on");
    if (box && !box.checked) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.35].forEach(function (at) {
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = 880; osc.connect(gain); gain.connect(audio.destination);
        gain.gain.value = 0.2; osc.start(audio.currentTime + at); osc.stop(audio.currentTime + at + 0.25);
      });
    } catch (e) { /* no sound on this browser */ }
    document.body.setAttribute("data-beeped", String(Date.now()));
  }
  document.body.addEventListener("htmx:configRequest", function (event) {
    var body = document.getElementById("queue-body");
    if (event.target === queue && body) event.detail.parameters.since = body.getAttribute("data-cursor");
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target !== queue) return;
    var body = document.getElementById("queue-body");
    var now = (body.getAttribute("data-new") || "").trim().split(/\s+/).filter(Boolean);
    if (seen !== null && now.some(function (id) { return seen.indexOf(id) < 0; })) beep();
    seen = now;
  });
})();
