// Large-font mode for older readers, remembered on this device.
(function () {
  var key = "yiyang-large-font";
  function apply(on) {
    document.documentElement.classList.toggle("large-font", on);
    var button = document.getElementById("large-font-toggle");
    if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
  }
  apply(localStorage.getItem(key) === "1");
  document.addEventListener("click", function (event) {
    if (event.target && event.target.id === "large-font-toggle") {
      var on = !document.documentElement.classList.contains("large-font");
      localStorage.setItem(key, on ? "1" : "0");
      apply(on);
    }
  });
})();
