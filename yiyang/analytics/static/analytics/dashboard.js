// Charts and the choropleth of the dashboard and the big screen, from the JSON the page embeds.
(function () {
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var screen = document.body.classList.contains("screen");
  var theme = screen ? "dark" : null;
  var select = document.getElementById("chart-indicator");
  function chart(id) { var el = document.getElementById(id); return el ? echarts.init(el, theme) : null; }
  var children = chart("children-chart"), age = chart("age-chart"), levels = chart("level-chart");
  function indicator(key) { return data.indicators.filter(function (i) { return i.key === key; })[0]; }
  function drawChildren() {
    if (!children) return;
    var key = select.value, info = indicator(key);
    children.setOption({
      title: { text: info.name + "（" + info.unit + "）", textStyle: { fontSize: 14 } },
      tooltip: {}, grid: { left: 50, right: 10, bottom: 60 },
      // interval 0: every region's name under its bar, however many there are.
      xAxis: { type: "category", data: data.children.map(function (c) { return c.name; }), axisLabel: { rotate: 30, interval: 0 } },
      yAxis: { type: "value" },
      series: [{ type: "bar", data: data.children.map(function (c) { return { value: c.values[key], code: c.code }; }), itemStyle: { color: "#b5482a" } }]
    }, true);
  }
  drawChildren();
  if (children) children.on("click", function (p) { if (p.data && p.data.code) window.location.search = "?region=" + p.data.code; });
  if (select) select.addEventListener("change", function () { drawChildren(); paint(); });
  if (age) age.setOption({ title: { text: "年龄结构", textStyle: { fontSize: 14 } }, tooltip: {},
    series: [{ type: "pie", radius: ["35%", "65%"], data: data.age.map(function (a) { return { name: a[0], value: a[1] }; }) }] });
  if (levels) levels.setOption({ title: { text: "能力等级", textStyle: { fontSize: 14 } }, tooltip: {}, grid: { left: 50, right: 10 },
    xAxis: { type: "category", data: data.levels.map(function (l) { return l[0]; }), axisLabel: { interval: 0 } }, yAxis: { type: "value" },
    series: [{ type: "bar", data: data.levels.map(function (l) { return l[1]; }), itemStyle: { color: "#6d4c41" } }] });
  window.addEventListener("resize", function () { [children, age, levels].forEach(function (c) { if (c) c.resize(); }); });

  // Choropleth of the children, coloured by the chosen indicator; a click drills down.
  var mapEl = document.getElementById("region-map");
  var layer = null;
  function paint() {
    if (!layer) return;
    var key = select.value;
    var byCode = {};
    data.children.forEach(function (c) { byCode[c.code] = c.values[key]; });
    var numbers = Object.keys(byCode).map(function (k) { return byCode[k]; }).filter(function (v) { return typeof v === "number"; });
    var max = Math.max.apply(null, numbers.concat([1])), min = Math.min.apply(null, numbers.concat([max]));
    layer.setStyle(function (f) {
      var v = byCode[f.properties.code];
      var t = typeof v === "number" && max > min ? (v - min) / (max - min) : 0.5;
      return { color: "#555", weight: 1, fillOpacity: typeof v === "number" ? 0.25 + 0.6 * t : 0.05, fillColor: "#b5482a" };
    });
  }
  if (mapEl && data.region.level < 3) {
    var map = L.map(mapEl, { maxZoom: 18, attributionControl: false }).setView([34, 113.6], 7);
    fetch("/api/v1/public/boundaries?region=" + data.region.code).then(function (r) { return r.json(); }).then(function (geo) {
      if (!geo.features || !geo.features.length) return;
      layer = L.geoJSON(geo, { onEachFeature: function (f, l) {
        // The names stay on the map (a big screen is read, not hovered).
        l.bindTooltip(f.properties.name, { permanent: true, direction: "center", className: "region-label" });
        l.on("click", function () { window.location.search = "?region=" + f.properties.code; });
      } }).addTo(map);
      map.fitBounds(layer.getBounds());
      paint();
    });
  } else if (mapEl) {
    mapEl.hidden = true;
  }

  // The big screen's clock runs on the viewer's own clock, not on the time the page was drawn.
  var clock = document.getElementById("clock");
  if (clock) {
    var weekdays = ["日", "一", "二", "三", "四", "五", "六"];
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    var tick = function () {
      var d = new Date();
      clock.textContent = d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " 星期" + weekdays[d.getDay()] +
        " " + two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
    };
    tick();
    setInterval(tick, 1000);
  }

  // The big screen refreshes its live counters every 5 seconds: open alarms must show while they are open.
  if (mapEl && mapEl.dataset.counters) {
    setInterval(function () {
      fetch("/api/v1/analytics/counters?region=" + data.region.code).then(function (r) { return r.json(); }).then(function (c) {
        document.getElementById("registered-today").textContent = c.registered_today;
        document.getElementById("assessed-today").textContent = c.assessed_today;
        document.getElementById("orders-today").textContent = c.orders_today;
        document.getElementById("alarms-today").textContent = c.alarms_today;
        document.getElementById("alarms-open").textContent = c.alarms_open;
        document.getElementById("alarms-open-stat").classList.toggle("active", c.alarms_open > 0);
        var list = document.getElementById("open-alarms");
        list.replaceChildren.apply(list, c.open_alarms.map(function (a) {
          var item = document.createElement("li");
          item.textContent = a.kind + " · " + a.community + " · " + a.state + " · " + a.minutes + " 分钟";
          return item;
        }));
      });
    }, 5000);
  }

  // Sortable table view.
  var table = document.getElementById("children-table");
  if (table) {
    table.querySelectorAll("th").forEach(function (th, index) {
      th.addEventListener("click", function () {
        var rows = Array.prototype.slice.call(table.tBodies[0].rows);
        var descending = th.dataset.sorted !== "desc";
        rows.sort(function (a, b) {
          var x = a.cells[index].textContent, y = b.cells[index].textContent;
          var nx = parseFloat(x), ny = parseFloat(y);
          var cmp = isNaN(nx) || isNaN(ny) ? x.localeCompare(y, "zh") : nx - ny;
          return descending ? -cmp : cmp;
        });
        th.dataset.sorted = descending ? "desc" : "asc";
        rows.forEach(function (r) { table.tBodies[0].appendChild(r); });
      });
    });
  }
})();
