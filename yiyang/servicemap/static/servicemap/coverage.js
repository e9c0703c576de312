// Coverage choropleth by child region, and the "what if we open a facility here" planner.
(function () {
  var el = document.getElementById("coverage-map");
  var region = el.dataset.region;
  var result = document.getElementById("what-if-result");
  var map = L.map(el, { maxZoom: 18 }).setView([+el.dataset.lat, +el.dataset.lng], 9);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution, maxZoom: 18 }).addTo(map);
  }
  function colour(rate) {
    if (rate === null || rate === undefined) return "#9e9e9e";
    return rate >= 0.95 ? "#2e7d32" : rate >= 0.8 ? "#f9a825" : rate >= 0.6 ? "#ef6c00" : "#c62828";
  }
  function percent(rate) { return rate === null || rate === undefined ? "—" : (rate * 100).toFixed(1) + "%"; }
  fetch("/api/v1/map/boundaries?region=" + region).then(function (r) { return r.json(); }).then(function (data) {
    if (!data.features || !data.features.length) return;
    var layer = L.geoJSON(data, {
      style: function (f) { return { color: "#555", weight: 1, fillColor: colour(f.properties.rate), fillOpacity: 0.55 }; },
      onEachFeature: function (f, l) {
        l.bindTooltip(f.properties.name + " " + percent(f.properties.rate));
        l.on("dblclick", function () { window.location.search = "?region=" + f.properties.code; });
      }
    }).addTo(map);
    map.fitBounds(layer.getBounds());
  });
  function csrf() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  var planned = null;
  map.on("click", function (event) {
    var type = document.querySelector("#what-if-form select").value;
    if (planned) map.removeLayer(planned);
    planned = L.circleMarker(event.latlng, { radius: 8, color: "#1565c0" }).addTo(map);
    fetch("/api/v1/map/coverage/what-if", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ region: region, lat: event.latlng.lat, lng: event.latlng.lng, facility_type: type })
    }).then(function (r) { return r.json(); }).then(function (data) {
      result.hidden = false;
      if (!data.before) { result.textContent = data.message || "无法模拟"; return; }
      var names = data.newly_covered.map(function (c) { return c.community + "（" + c.distance_m + " 米）"; }).join("、");
      result.innerHTML = "";
      var p = document.createElement("p");
      p.textContent = "覆盖率将从 " + percent(data.before.rate) + " 提高到 " + percent(data.after.rate) +
        "，新覆盖 " + data.newly_covered.length + " 个社区（村）" + (names ? "：" + names : "。");
      result.appendChild(p);
    });
  });
})();
