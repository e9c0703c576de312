/* The visitor's phone app (探访关爱): the list downloaded while online, visits recorded without a
   network into IndexedDB with ids made on the phone, photos kept as blobs with their SHA-256, and a sync
   that retries until everything is on the server. Built on core/offline.js. */
(function () {
  "use strict";
  const O = self.YiyangOffline;
  const root = document.getElementById("visit-app");
  const API = root.dataset.api;
  const FORM_TOKEN = root.dataset.csrf;
  const TIERS = {high: "高风险", key: "重点", general: "一般"};
  let db, outbox, retry, syncing = false;

  const $ = (selector) => document.querySelector(selector);
  const show = (id) => {
    for (const view of document.querySelectorAll(".app-view")) view.hidden = view.id !== id;
  };
  function say(text, bad) {
    const box = $("#app-message");
    box.textContent = text;
    box.className = bad ? "app-message bad" : "app-message";
    box.hidden = !text;
  }

  async function call(method, path, body, isForm) {
    const headers = {"X-CSRFToken": O.csrfToken(FORM_TOKEN)};
    if (!isForm && body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(API + path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
    });
    if (response.status === 401 || response.status === 403 && path === "/sync") {
      throw Object.assign(new Error("登录已过期，请重新登录后同步（记录仍保存在手机上）"), {auth: true});
    }
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    return {status: response.status, data};
  }

  // --- The list ------------------------------------------------------------------------------------
  async function refreshList() {
    const meta = (await db.get("meta", "cursor")) || {id: "cursor", value: 0};
    const {status, data} = await call("GET", `/assignments?since=${meta.value}`);
    if (status !== 200) throw new Error((data && data.message) || "名单下载失败");
    if (data.full) await db.clear("targets");
    for (const target of data.changed) await db.put("targets", target);
    for (const id of data.removed) await db.del("targets", id);
    await db.put("meta", {id: "cursor", value: data.cursor});
    await db.put("meta", {id: "visitor", value: data.visitor});
    await renderList();
  }

  function dueLabel(target) {
    if (!target.next_due) return "";
    const days = Math.round((new Date(target.next_due) - new Date(new Date().toDateString())) / 86400000);
    return days < 0 ? `已逾期 ${-days} 天` : days === 0 ? "今天到期" : `${days} 天后到期`;
  }

  async function renderList() {
    const targets = (await db.all("targets")).sort((a, b) => (a.next_due || "").localeCompare(b.next_due || ""));
    const visitor = await db.get("meta", "visitor");
    $("#visitor-name").textContent = visitor ? visitor.value.name : "";
    const list = $("#target-list");
    list.replaceChildren();
    for (const target of targets) {
      const item = document.createElement("li");
      item.className = `target tier-${target.tier}`;
      item.dataset.target = target.target_id;
      const due = dueLabel(target);
      item.innerHTML = `<button type="button" class="target-open"><strong></strong> <span class="tier"></span>
        <span class="due${due.startsWith("已逾期") ? " overdue" : ""}"></span><br><small class="address"></small></button>`;
      item.querySelector("strong").textContent = `${target.name}（${target.age}岁）`;
      item.querySelector(".tier").textContent = TIERS[target.tier] || target.tier;
      item.querySelector(".due").textContent = due;
      item.querySelector(".address").textContent = target.address;
      item.querySelector("button").addEventListener("click", () => openForm(target));
      list.append(item);
    }
    $("#list-empty").hidden = targets.length > 0;
    await renderCounts();
  }

  // --- Recording a visit -----------------------------------------------------------------------------
  let current = null, position = null, editing = null;

  function fill(form, record) {
    for (const name of ["method", "absent_reason", "health", "mood", "economy", "family_support", "hygiene_housing",
                        "needs_note", "risk_after", "next_visit_on"]) {
      if (form.elements[name]) form.elements[name].value = record[name] || "";
    }
    form.elements.elder_present.checked = record.elder_present;
    $("#absent").hidden = record.elder_present;
    form.elements.benefits_received.value = record.benefits_received === null ? "" : record.benefits_received ? "yes" : "no";
    for (const name of ["hazards", "needs"]) {
      for (const input of form.querySelectorAll(`input[name="${name}"]`)) input.checked = (record[name] || []).includes(input.value);
    }
  }

  /* A record already on the server is changed as a new version of it: same id, naming the version it
     replaces; the server keeps it as a conflict for a supervisor if the version is no longer current. */
  async function openEdit(record) {
    const target = (await db.get("targets", record.target_id)) || {target_id: record.target_id, name: record.elder_name, tier: "", reason: "", phone: ""};
    openForm(target, record);
  }

  function openForm(target, record) {
    current = target;
    editing = record || null;
    const form = $("#visit-form");
    form.reset();
    $("#form-title").textContent = `探访 ${target.name}`;
    $("#form-reason").textContent = `${TIERS[target.tier] || ""} · ${target.reason}`;
    $("#form-phone").textContent = target.phone || "无";
    $("#form-phone").href = target.phone ? `tel:${target.phone}` : "#";
    $("#form-errors").hidden = true;
    if (editing) fill(form, editing);
    $("#form-title").textContent = editing ? `修改对 ${target.name} 的探访（第 ${editing.version} 版）` : `探访 ${target.name}`;
    position = null;
    if (navigator.geolocation) {
      navigator.geolocation.getCurrentPosition(
        (found) => { position = found.coords; $("#form-location").textContent = `已定位（精度约 ${Math.round(found.coords.accuracy)} 米）`; },
        () => { $("#form-location").textContent = "未能定位（可不填）"; },
        {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000},
      );
    }
    show("view-form");
    window.scrollTo(0, 0);
  }

  function checked(form, name) {
    return Array.from(form.querySelectorAll(`input[name="${name}"]:checked`), (input) => input.value);
  }

  async function saveVisit(event) {
    event.preventDefault();
    const form = event.target;
    const present = form.elements.elder_present.checked;
    const errors = [];
    if (!present && !form.elements.absent_reason.value) errors.push("未见到老人时请选择原因");
    if (!form.elements.risk_after.value) errors.push("请选择探访后风险等级");
    if (errors.length) {
      $("#form-errors").textContent = errors.join("；");
      $("#form-errors").hidden = false;
      return;
    }
    const benefits = form.elements.benefits_received.value;
    const record = {
      id: editing ? editing.id : O.uuid(),
      base_version: editing ? editing.version : null,
      target_id: current.target_id,
      elder_name: current.name,
      method: form.elements.method.value,
      visited_at: editing ? editing.visited_at : new Date().toISOString(),
      lat: editing ? editing.lat : position ? position.latitude : null,
      lng: editing ? editing.lng : position ? position.longitude : null,
      accuracy_m: editing ? editing.accuracy_m : position ? Math.round(position.accuracy) : null,
      elder_present: present,
      absent_reason: present ? "" : form.elements.absent_reason.value,
      health: form.elements.health.value,
      mood: form.elements.mood.value,
      economy: form.elements.economy.value,
      benefits_received: benefits === "" ? null : benefits === "yes",
      family_support: form.elements.family_support.value,
      hazards: checked(form, "hazards"),
      hygiene_housing: form.elements.hygiene_housing.value,
      needs: checked(form, "needs"),
      needs_note: form.elements.needs_note.value,
      risk_after: form.elements.risk_after.value,
      next_visit_on: form.elements.next_visit_on.value || null,
    };
    const files = Array.from(form.elements.photos.files || []);
    for (const file of files) {
      const sha = await O.sha256(file);
      await db.put("photos", {id: `${record.id}:${sha}`, visit_id: record.id, sha256: sha, blob: file, state: "waiting"});
    }
    record.photo_count = files.length + (editing ? editing.photo_count || 0 : 0);
    await outbox.add(record);
    editing = null;
    say(`已保存 ${current.name} 的探访记录，等待同步`);
    show("view-list");
    await renderCounts();
    if (navigator.onLine) retry.run();
  }

  // --- What waits, and the sync -----------------------------------------------------------------------
  async function renderCounts() {
    const records = await outbox.all();
    const photos = (await db.all("photos")).filter((p) => p.state !== "sent");
    const waiting = records.filter((r) => r.state === "waiting" || r.state === "sending").length;
    $("#pending-count").textContent = waiting;
    $("#photo-count").textContent = photos.length;
    $("#network").textContent = navigator.onLine ? "在线" : "离线";
    $("#network").className = navigator.onLine ? "online" : "offline";
    const list = $("#outbox-list");
    list.replaceChildren();
    const labels = {waiting: "待同步", sending: "上传中（已锁定）", sent: "已同步", conflict: "有冲突，待主管处理", refused: "被退回"};
    for (const record of records.sort((a, b) => b.saved_at.localeCompare(a.saved_at))) {
      const item = document.createElement("li");
      item.className = `outbox-${record.state}`;
      item.dataset.id = record.id;
      item.textContent = `${record.elder_name} · ${new Date(record.visited_at).toLocaleString("zh-CN")} · ${labels[record.state]}`
        + (record.version ? `（第 ${record.version} 版）` : "") + (record.message ? `：${record.message}` : "");
      if (record.state === "sent") {
        const edit = document.createElement("button");
        edit.type = "button";
        edit.className = "secondary edit-record";
        edit.textContent = "修改";
        edit.addEventListener("click", () => openEdit(record));
        item.append(" ", edit);
      }
      list.append(item);
    }
  }

  async function postBatch(records) {
    const items = records.map(({state, saved_at, elder_name, photo_count, message, version, ...item}) => item);
    const {status, data} = await call("POST", "/sync", {items});
    if (!data || !data.results) throw new Error((data && data.message) || `同步失败（${status}）`);
    return data.results;
  }

  async function sendPhotos() {
    const records = Object.fromEntries((await outbox.all()).map((r) => [r.id, r]));
    let left = 0;
    for (const photo of await db.all("photos")) {
      if (photo.state === "sent" || photo.state === "refused") continue;
      if (!records[photo.visit_id] || records[photo.visit_id].state !== "sent") { left += 1; continue; }
      const body = new FormData();
      body.append("sha256", photo.sha256);
      body.append("file", photo.blob, `${photo.sha256}.jpg`);
      const {status, data} = await call("POST", `/${photo.visit_id}/photos`, body, true);
      if (status === 200 || status === 201) await db.put("photos", {...photo, state: "sent", blob: null});
      else if (status === 422 || status === 404) await db.put("photos", {...photo, state: "refused", message: data && data.message});
      else left += 1;
    }
    return left;
  }

  async function sync() {
    if (syncing) return false;
    syncing = true;
    $("#sync").disabled = true;
    try {
      say("正在同步……");
      const sent = await outbox.send(postBatch);
      const photosLeft = await sendPhotos();
      await refreshList();
      const left = await outbox.count();
      say(left || photosLeft ? `还有 ${left} 条记录、${photosLeft} 张照片待同步` : `同步完成${sent ? `，上传 ${sent} 条` : ""}`);
      return !left && !photosLeft;
    } catch (error) {
      say(error.auth ? error.message : navigator.onLine ? `同步中断：${error.message}，稍后自动重试` : "当前离线，联网后自动同步", true);
      if (error.auth) retry.stop();
      return false;
    } finally {
      syncing = false;
      $("#sync").disabled = false;
      await renderCounts();
    }
  }

  async function start() {
    db = await O.open("yiyang-visits", ["targets", "outbox", "photos", "meta"], {targets: "target_id"});
    outbox = new O.Outbox(db, "outbox");
    retry = O.retrying(sync);
    $("#visit-form").addEventListener("submit", saveVisit);
    $("#form-cancel").addEventListener("click", () => show("view-list"));
    $("#sync").addEventListener("click", () => retry.run());
    $("#show-outbox").addEventListener("click", () => show("view-outbox"));
    $("#outbox-back").addEventListener("click", () => show("view-list"));
    $("#elder-present").addEventListener("change", (event) => { $("#absent").hidden = event.target.checked; });
    self.addEventListener("online", renderCounts);
    self.addEventListener("offline", renderCounts);
    await renderList();
    if (navigator.onLine) {
      try { await refreshList(); } catch (error) { say(error.message, true); }
      if (await outbox.count()) retry.run();
    }
    O.registerWorker(root.dataset.worker, root.dataset.scope);
    root.dataset.ready = "1";
  }

  start();
})();
