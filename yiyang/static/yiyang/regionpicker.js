// Region pickers: an input carrying data-region-picker gets cascading selects (county → street →
// community), each listing only the children within the user's scope (the regions API answers that);
// the input itself stays the value sent, so the form works as before without scripts.
//   data-region-picker="5"      the value must be a community (a registration form)
//   data-region-picker="any"    any level will do (a list filter); "全部" at a level keeps the one above
//   data-region-root="<code>"   where the cascade starts (the user's own region)
(function () {
  var LEVEL_NAMES = { 1: "省", 2: "市", 3: "县（区）", 4: "街道（乡镇）", 5: "社区（村）" };
  var PREFIX = [0, 2, 4, 6, 9, 12];
  function levelOf(code) {
    for (var level = 5; level >= 1; level--) {
      if (code.slice(PREFIX[level - 1], PREFIX[level]).replace(/0/g, "") !== "") return level;
    }
    return 0;
  }
  function ancestorAt(code, level) {
    var head = code.slice(0, PREFIX[level]);
    return head + "000000000000".slice(head.length);
  }
  function children(code) {
    return fetch("/api/v1/regions/" + code + "/children", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; });
  }

  function setUp(input) {
    var root = input.dataset.regionRoot || "";
    var depth = input.dataset.regionPicker === "any" ? 5 : +input.dataset.regionPicker;
    var anyLevel = input.dataset.regionPicker === "any";
    if (!/^\d{12}$/.test(root) || levelOf(root) >= depth) return;
    var box = document.createElement("span");
    box.className = "region-picker";
    input.parentNode.insertBefore(box, input.nextSibling);
    var current = /^\d{12}$/.test(input.value) ? input.value : "";
    input.type = "hidden";
    var shown = document.createElement("small");
    shown.className = "muted region-code";

    function cut(level) {
      // Drop the selects below `level`.
      Array.prototype.slice.call(box.querySelectorAll("select")).forEach(function (s) {
        if (+s.dataset.level > level) box.removeChild(s);
      });
    }
    function choose(code) {
      input.value = code;
      shown.textContent = code ? "代码 " + code : "";
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function add(parent, preselect) {
      var level = levelOf(parent) + 1;
      return children(parent).then(function (items) {
        if (!items.length) return null;
        var select = document.createElement("select");
        select.dataset.level = level;
        select.setAttribute("aria-label", LEVEL_NAMES[level]);
        select.appendChild(new Option(anyLevel ? "全部" + LEVEL_NAMES[level] : "请选择" + LEVEL_NAMES[level], ""));
        items.forEach(function (r) { select.appendChild(new Option(r.name, r.code)); });
        if (preselect) select.value = preselect;
        select.addEventListener("change", function () {
          cut(level);
          if (!select.value) { choose(anyLevel && parent !== root ? parent : ""); return; }
          choose(anyLevel || level === depth ? select.value : "");
          if (level < depth) add(select.value);
        });
        box.insertBefore(select, shown);
        return select;
      });
    }
    box.appendChild(shown);
    // Open on the stored value: one select per level from the root down to it.
    var rootLevel = levelOf(root);
    var chain = [];
    if (current && current.indexOf(root.slice(0, PREFIX[rootLevel])) === 0) {
      for (var level = rootLevel + 1; level <= levelOf(current); level++) chain.push(ancestorAt(current, level));
    }
    var step = function (parent, index) {
      add(parent, chain[index]).then(function (select) {
        if (select && chain[index] && index + 1 < chain.length) step(chain[index], index + 1);
        else if (select && chain[index] && levelOf(chain[index]) < depth) add(chain[index]);
      });
    };
    step(root, 0);
    choose(current);
  }
  document.querySelectorAll("input[data-region-picker]").forEach(setUp);
})();
