// Check-in forms carry the phone's position; without it the server refuses the check-in.
(function () {
  document.querySelectorAll(".geo-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.elements.lat.value) return;
      event.preventDefault();
      var status = form.querySelector(".geo-status");
      if (!navigator.geolocation) { status.textContent = "此手机不能获取位置"; return; }
      status.textContent = "正在获取位置…";
      navigator.geolocation.getCurrentPosition(function (p) {
        form.elements.lat.value = p.coords.latitude;
        form.elements.lng.value = p.coords.longitude;
        form.submit();
      }, function () { status.textContent = "未能获取位置，请允许定位后重试"; }, { enableHighAccuracy: true, timeout: 15000 });
    });
  });
})();
