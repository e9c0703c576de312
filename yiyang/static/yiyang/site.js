// Site-wide behaviour.
(function () {
  // Large-font mode: the server draws it (the user's own setting, or this browser's cookie before
  // signing in); the switch posts the choice and, where scripts run, changes the page in place so that
  // what is on it (a map, a half-filled form) stays.
  function label(on) { return on ? "标准字号" : "大字模式"; }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("font-toggle") || !window.fetch) return;
    event.preventDefault();
    var field = form.querySelector("input[name=on]");
    var on = field.value === "1";
    fetch(form.action, { method: "POST", body: new FormData(form), headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { form.submit(); return; }
        document.documentElement.classList.toggle("large-font", on);
        field.value = on ? "0" : "1";
        // An <input>, not a <button>: the page's own submit buttons stay the first ones in it.
        var button = form.querySelector("#large-font-toggle");
        button.setAttribute("aria-pressed", on ? "true" : "false");
        button.value = label(on);
        window.dispatchEvent(new Event("resize"));  // maps and charts measure themselves again
      })
      .catch(function () { form.submit(); });
  });
})();
