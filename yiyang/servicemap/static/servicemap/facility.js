(function () {
  var el = document.getElementById("map");
  // Hashed static names defeat Leaflet's guess of where its marker images live.
  L.Icon.Default.imagePath = el.dataset.icons;
  var point = [+el.dataset.lat, +el.dataset.lng];
  var map = L.map(el, { maxZoom: 18 }).setView(point, 15);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution, maxZoom: 18 }).addTo(map);
  }
  L.marker(point, { title: el.dataset.name }).addTo(map);
})();
