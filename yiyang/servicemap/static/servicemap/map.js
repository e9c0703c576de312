// The public service map: markers of published facilities, filters, a list, and "near me".
(function () {
  var el = document.getElementById("map");
  // Hashed static names defeat Leaflet's guess of where its marker images live.
  L.Icon.Default.imagePath = el.dataset.icons;
  var list = document.getElementById("facility-list");
  var status = document.getElementById("map-status");
  var form = document.getElementById("map-filters");
  var map = L.map(el, { zoomControl: true, maxZoom: 18 }).setView([+el.dataset.lat, +el.dataset.lng], 9);
  // The credit without a flag: the map is a public service of the bureau.
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  var tiles = !!el.dataset.tileUrl;
  if (tiles) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution, maxZoom: 18 }).addTo(map);
  } else {
    el.classList.add("no-tiles");
  }
  if (el.dataset.home) {
    // Boundaries of the home region's children, named: the map stays readable without any base tiles.
    fetch("/api/v1/public/boundaries?region=" + el.dataset.home).then(function (r) { return r.json(); }).then(function (data) {
      L.geoJSON(data, {
        style: { color: "#b5482a", weight: 1, fillOpacity: tiles ? 0.03 : 0.06 },
        onEachFeature: function (feature, layer) {
          if (!feature.properties || !feature.properties.name) return;
          layer.bindTooltip(escape(feature.properties.name), { permanent: true, direction: "center", className: "region-label" });
        }
      }).addTo(map);
    });
  }
  var cluster = L.markerClusterGroup();
  map.addLayer(cluster);
  var nearMarker = null;

  function text(value) { return value === null || value === undefined ? "" : String(value); }
  function escape(value) {
    return text(value).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
  }
  function card(f) {
    var fee = f.monthly_fee_min_yuan !== null ? "每月 " + f.monthly_fee_min_yuan + "–" + f.monthly_fee_max_yuan + " 元" : "";
    var distance = f.distance_m !== undefined ? "<div>距离 " + f.distance_m + " 米，步行约 " + f.walking_minutes + " 分钟</div>" : "";
    return '<div class="facility-item" data-id="' + f.id + '"><h3><a href="/map/facilities/' + f.id + '/">' + escape(f.name) + "</a></h3>" +
      '<div class="muted">' + escape(f.facility_type_label) + (f.star_rating ? " · " + f.star_rating + " 星" : "") + "</div>" +
      "<div>" + escape(f.address) + "</div>" + distance +
      (f.beds_total ? "<div>空余床位 " + f.beds_vacant + " / " + f.beds_total + "</div>" : "") + (fee ? "<div>" + fee + "</div>" : "") + "</div>";
  }
  function show(items, fit) {
    cluster.clearLayers();
    list.innerHTML = items.length ? items.slice(0, 100).map(card).join("") : '<p class="muted">没有找到符合条件的机构</p>';
    var bounds = [];
    items.forEach(function (f) {
      if (f.lat === null) return;
      var marker = L.marker([f.lat, f.lng], { title: f.name });
      marker.bindPopup(card(f));
      cluster.addLayer(marker);
      bounds.push([f.lat, f.lng]);
    });
    if (fit && bounds.length) map.fitBounds(bounds, { maxZoom: 15, padding: [20, 20] });
  }
  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { if (value) params.append(key, value); });
    return params;
  }
  function load() {
    status.textContent = "正在加载…";
    fetch("/api/v1/public/facilities?" + query().toString()).then(function (r) { return r.json(); }).then(function (items) {
      if (!Array.isArray(items)) { status.textContent = items.message || "查询条件有误"; return; }
      status.textContent = "共 " + items.length + " 家机构。也可以在地图上点一下，查看附近的服务。";
      show(items, true);
    });
  }
  var hereMarker = null;
  function mark(lat, lng, here) {
    // "You are here" for the phone's own position; "the place chosen" for a tap on the map.
    if (hereMarker) map.removeLayer(hereMarker);
    hereMarker = L.circleMarker([lat, lng], { radius: 8, color: "#fff", weight: 3, fillColor: "#1565c0", fillOpacity: 1 })
      .bindTooltip(here ? "您在这里" : "所选位置", { permanent: true, direction: "top", offset: [0, -8], className: "here-label" })
      .addTo(map);
  }
  function near(lat, lng, radius, here) {
    radius = radius || 3000;
    var km = radius / 1000;
    if (nearMarker) map.removeLayer(nearMarker);
    nearMarker = L.circle([lat, lng], { radius: radius, color: "#2e7d32", fillOpacity: 0.05 }).addTo(map);
    if (here !== undefined) mark(lat, lng, here);
    var params = query();
    var type = params.get("facility_type") || "";
    fetch("/api/v1/facilities/nearby?lat=" + lat + "&lng=" + lng + "&radius=" + radius + "&limit=50&type=" + type)
      .then(function (r) { return r.json(); }).then(function (items) {
        if (!Array.isArray(items)) { status.textContent = items.message || "位置无效"; return; }
        if (!items.length) {
          // Nothing close by: offer the next circles instead of an empty map.
          var wider = [5000, 10000].filter(function (r) { return r > radius; });
          status.innerHTML = km + " 公里内没有服务" + (wider.length ? "：扩大到 " + wider.map(function (r) {
            return '<button type="button" class="link widen" data-radius="' + r + '">' + r / 1000 + "</button>";
          }).join(" / ") + " 公里" : "，可以换个位置或条件再找。");
          status.querySelectorAll("button.widen").forEach(function (button) {
            button.addEventListener("click", function () { near(lat, lng, +button.dataset.radius); });
          });
          show(items, false);
          return;
        }
        status.textContent = km + " 公里内有 " + items.length + " 家机构，按距离排序。";
        show(items, false);
        if (radius > 3000) map.fitBounds(nearMarker.getBounds(), { maxZoom: 15 });
      });
  }
  form.addEventListener("submit", function (event) { event.preventDefault(); load(); });
  map.on("click", function (event) { near(event.latlng.lat.toFixed(6), event.latlng.lng.toFixed(6), 3000, false); });
  document.getElementById("near-me").addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = "此浏览器不能获取位置，请在地图上点选。"; return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      map.setView([p.coords.latitude, p.coords.longitude], 14);
      near(p.coords.latitude.toFixed(6), p.coords.longitude.toFixed(6), 3000, true);
    }, function () { status.textContent = "未能获取位置，请在地图上点选。"; });
  });
  load();
})();
