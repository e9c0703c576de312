// Site-wide behaviour. Large-font mode is drawn by the server (the user's setting, or this browser's
// cookie before signing in); the old device-only setting is carried over once.
(function () {
  var key = "yiyang-large-font";
  try {
    if (localStorage.getItem(key) === "1" && document.cookie.indexOf("yiyang_large_font=") === -1) {
      localStorage.removeItem(key);
      var button = document.getElementById("large-font-toggle");
      if (button && button.getAttribute("aria-pressed") === "false") button.form.submit();
    }
  } catch (e) { /* storage unavailable: nothing to carry over */ }
})();
