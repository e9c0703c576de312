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
  // The map of open alarms, each at its community's centre, over the outlines of the operator's counties.
  var mapEl = document.getElementById("alarm-map");
  var map = null, markers = null, fitted = false;
  if (mapEl && window.L) {
    map = L.map(mapEl, { maxZoom: 16, attributionControl: false }).setView([34, 113.8], 9);
    markers = L.layerGroup().addTo(map);
    if (mapEl.dataset.outline) {
      fetch("/api/v1/public/boundaries?region=" + mapEl.dataset.outline).then(function (r) { return r.json(); }).then(function (geo) {
        if (!geo.features || !geo.features.length) return;
        var outline = L.geoJSON(geo, {
          style: function (f) {
            var home = mapEl.dataset.home.indexOf(f.properties.code.slice(0, 6)) === 0;
            return { color: "#555", weight: home ? 2 : 1, fillOpacity: home ? 0.08 : 0.02, fillColor: "#b5482a" };
          },
          onEachFeature: function (f, l) { l.bindTooltip(f.properties.name, { permanent: true, direction: "center", className: "region-label" }); }
        }).addTo(map);
        if (!fitted) map.fitBounds(outline.getBounds());
      });
    }
  }
  function drawMarkers() {
    if (!markers) return;
    markers.clearLayers();
    var points = [];
    document.querySelectorAll("#alarm-queue tr[data-lat]").forEach(function (row) {
      var at = [parseFloat(row.dataset.lat), parseFloat(row.dataset.lng)];
      var fresh = row.classList.contains("state-new");
      L.circleMarker(at, { radius: fresh ? 10 : 7, color: fresh ? "#c0392b" : "#e67e22", fillOpacity: 0.8 })
        .bindTooltip(row.dataset.label)
        .on("click", function () { window.location.href = row.querySelector("a").href; })
        .addTo(markers);
      points.push(at);
    });
    mapEl.setAttribute("data-markers", String(points.length));
    if (points.length && !fitted) {
      map.fitBounds(L.latLngBounds(points).pad(0.5), { maxZoom: 13 });
      fitted = true;
    }
  }

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target !== queue) return;
    drawMarkers();
    var body = document.getElementById("queue-body");
    var now = (body.getAttribute("data-new") || "").trim().split(/\s+/).filter(Boolean);
    if (seen !== null && now.some(function (id) { return seen.indexOf(id) < 0; })) beep();
    seen = now;
  });
})();
