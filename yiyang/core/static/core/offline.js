/* Offline storage and an outbox for the phone app shell (yiyang/core/pwa.py): records made without a
   network wait in IndexedDB with ids made on the phone, and go up when the network is back.

   One small wrapper over IndexedDB (no library needed for get/put/all/delete), and an Outbox that any
   app of the shell can use (visits today; caregivers' check-in and inspections later):

     const db = await YiyangOffline.open("visits", ["targets", "outbox", "photos", "meta"]);
     const outbox = new YiyangOffline.Outbox(db, "outbox");
     await outbox.add({id: YiyangOffline.uuid(), ...});          // state "waiting"
     await outbox.send(async (records) => results);               // locks, sends, records the answers

   A record is locked once its upload starts (state "sending"): it is never edited after that, so a
   retry sends the same body and the server's idempotency holds (a cancelled upload followed by an edit
   would otherwise put a second body under the same id). */
(function () {
  "use strict";

  function promised(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  class Store {
    constructor(db) { this.db = db; }
    tx(name, mode) { return this.db.transaction(name, mode).objectStore(name); }
    get(name, key) { return promised(this.tx(name, "readonly").get(key)); }
    all(name) { return promised(this.tx(name, "readonly").getAll()); }
    put(name, value) { return promised(this.tx(name, "readwrite").put(value)); }
    del(name, key) { return promised(this.tx(name, "readwrite").delete(key)); }
    clear(name) { return promised(this.tx(name, "readwrite").clear()); }
  }

  function open(name, stores, keyPaths) {
    keyPaths = keyPaths || {};
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => {
      for (const store of stores) {
        if (!request.result.objectStoreNames.contains(store)) {
          request.result.createObjectStore(store, {keyPath: keyPaths[store] || "id"});
        }
      }
    };
    return promised(request).then((db) => new Store(db));
  }

  function uuid() {
    if (self.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  async function sha256(blob) {
    const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // States of an outbox record: waiting -> sending -> sent | conflict | refused.
  const PENDING = ["waiting", "sending"];

  class Outbox {
    constructor(store, name) { this.store = store; this.name = name; }
    async add(record) {
      const saved = {...record, state: "waiting", saved_at: new Date().toISOString()};
      await this.store.put(this.name, saved);
      return saved;
    }
    async all() { return this.store.all(this.name); }
    async pending() { return (await this.all()).filter((r) => PENDING.includes(r.state)); }
    async count() { return (await this.pending()).length; }
    async edit(id, changes) {
      const record = await this.store.get(this.name, id);
      if (!record || record.state !== "waiting") throw new Error("该记录已开始上传，不能再修改");
      return this.store.put(this.name, {...record, ...changes});
    }
    /* Send every pending record in batches through `post(records)`, which answers [{id, status, ...}]
       or throws when the network fails (the records then stay locked in "sending" and go again next
       time, with the same body). */
    async send(post, batchSize) {
      batchSize = batchSize || 50;
      const pending = await this.pending();
      for (const record of pending) {
        if (record.state === "waiting") await this.store.put(this.name, {...record, state: "sending"});
      }
      let done = 0;
      for (let start = 0; start < pending.length; start += batchSize) {
        const batch = pending.slice(start, start + batchSize);
        const results = await post(batch);
        for (const result of results) {
          const record = await this.store.get(this.name, result.id);
          if (!record) continue;
          const state = {created: "sent", updated: "sent", unchanged: "sent", conflict: "conflict"}[result.status] || "refused";
          await this.store.put(this.name, {...record, state, version: result.version, message: result.message || ""});
          if (state === "sent") done += 1;
        }
      }
      return done;
    }
  }

  /* Retry with backoff: `attempt` is called now and again after 5 s, 10 s, 20 s ... (at most 5 min)
     until it resolves true (nothing left) or `stop()` is called; the 'online' event tries at once. */
  function retrying(attempt) {
    let delay = 5000, timer = null, stopped = false;
    async function run() {
      clearTimeout(timer);
      if (stopped) return;
      let finished = false;
      try { finished = await attempt(); } catch (error) { finished = false; }
      if (!finished && !stopped) {
        timer = setTimeout(run, delay);
        delay = Math.min(delay * 2, 300000);
      } else {
        delay = 5000;
      }
    }
    self.addEventListener("online", () => { delay = 5000; run(); });
    return {run, stop() { stopped = true; clearTimeout(timer); }};
  }

  function csrfToken(fallback) {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : fallback;
  }

  // The worker's state is kept on the page root (data-worker-state: installing, activated, failed: why)
  // so that the page, and a test, can tell whether the app will open without a network.
  function registerWorker(url, scope) {
    const mark = (state) => { document.documentElement.dataset.workerState = state; };
    if (!("serviceWorker" in navigator)) {
      mark("failed: no service worker in this browser");
      return Promise.resolve(null);
    }
    return navigator.serviceWorker.register(url, {scope}).then((registration) => {
      const worker = registration.installing || registration.waiting || registration.active;
      const follow = () => mark(worker.state === "redundant" ? "failed: the app shell could not be stored" : worker.state);
      if (worker) {
        follow();
        worker.addEventListener("statechange", follow);
      }
      return registration;
    }).catch((error) => {
      mark(`failed: ${error.message}`);
      return null;
    });
  }

  self.YiyangOffline = {open, uuid, sha256, Outbox, retrying, csrfToken, registerWorker};
})();
