// Arrival carries the phone's position when the phone gives it within a few seconds; without it the
// arrival is still recorded.
(function () {
  document.querySelectorAll(".care-geo").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent || !navigator.geolocation) return;
      event.preventDefault();
      form.dataset.sent = "1";
      var status = form.querySelector(".geo-status");
      status.textContent = "正在获取位置…";
      navigator.geolocation.getCurrentPosition(function (p) {
        form.elements.lat.value = p.coords.latitude;
        form.elements.lng.value = p.coords.longitude;
        form.submit();
      }, function () { form.submit(); }, { enableHighAccuracy: true, timeout: 5000 });
    });
  });
})();
