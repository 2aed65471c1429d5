// The offline diary (issue 16.2). Runs on the patient's pages and, imported by the
// service worker (/me/sw.js), in the worker too: both keep entries in one IndexedDB.
//
// Offline, a diary form (the day form, a one-tap "no headache") is kept on the phone
// with a key made once per entry; the page says it is waiting to be sent. Back online,
// each kept entry is sent to its own page with the header X-Cephalog-Sync: the server
// stores a key once however often it is sent, and answers in JSON. If the clinic changed
// that day meanwhile, both versions are shown and the patient chooses. An entry is only
// removed from the phone once the server has it, or the patient chose the clinic's.
(function (root) {
  "use strict";

  var DB_NAME = "cephalog-diary";
  var PAGES = "cephalog-pages";
  var DAY_PATH = /^\/me\/diary\/(\d{4}-\d{2}-\d{2})\/$/;
  var NO_HEADACHE_PATH = "/me/diary/no-headache/";

  function open() {
    return new Promise(function (resolve, reject) {
      var request = root.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("pending", { keyPath: "key" });
        request.result.createObjectStore("meta");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(name, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(name, mode);
        var request = work(transaction.objectStore(name));
        transaction.oncomplete = function () { db.close(); resolve(request && request.result); };
        transaction.onerror = transaction.onabort = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  var store = {
    put: function (item) { return run("pending", "readwrite", function (s) { return s.put(item); }); },
    remove: function (key) { return run("pending", "readwrite", function (s) { return s.delete(key); }); },
    all: function () { return run("pending", "readonly", function (s) { return s.getAll(); }); },
    owner: function () { return run("meta", "readonly", function (s) { return s.get("owner"); }); },
    setOwner: function (id) { return run("meta", "readwrite", function (s) { return s.put(id, "owner"); }); }
  };

  function newKey() {
    if (root.crypto && root.crypto.randomUUID) { return root.crypto.randomUUID(); }
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (root.crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }

  // Keep what a diary form posted (a FormData's entries), for the current owner.
  function keep(path, entries, owner) {
    var fields = [];
    var date = "";
    entries.forEach(function (pair) {
      if (pair[0] === "csrfmiddlewaretoken") { return; }  // a fresh token is sent instead
      if (pair[0] === "date") { date = String(pair[1]); }
      fields.push([pair[0], String(pair[1])]);
    });
    var match = DAY_PATH.exec(path);
    if (match) { date = match[1]; }
    if (!date) { date = localToday(); fields.push(["date", date]); }
    var item = { key: newKey(), owner: owner || "", url: path, date: date, fields: fields,
                 savedAt: Date.now(), state: "waiting", problems: [] };
    return store.put(item).then(function () { return item; });
  }

  function isDiaryPost(path) { return path === NO_HEADACHE_PATH || DAY_PATH.test(path); }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localToday() {
    var d = new Date();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  root.CephalogOffline = { store: store, keep: keep, isDiaryPost: isDiaryPost, PAGES: PAGES };
  if (typeof document === "undefined") { return; }  // in the service worker: storage only

  // --- On the patient's pages --------------------------------------------------------

  var status = document.getElementById("offline-status");
  if (!status || !root.indexedDB) { return; }
  var owner = status.getAttribute("data-patient") || "";
  var syncing = false;

  store.setOwner(owner).catch(function () {});
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(status.getAttribute("data-sw"), { scope: "/me/" })
      .catch(function () {});
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) { return ""; }
  }

  function longDate(iso) {
    var parts = iso.split("-");
    var d = new Date(+parts[0], +parts[1] - 1, +parts[2]);
    if (iso === localToday()) { return "Today"; }
    return d.toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long" });
  }

  function field(item, name) {
    for (var i = 0; i < item.fields.length; i++) {
      if (item.fields[i][0] === name) { return item.fields[i][1]; }
    }
    return "";
  }

  function describe(item) {
    if (item.url === NO_HEADACHE_PATH) { return "no headache"; }
    var hours = field(item, "headache_hours");
    var from = field(item, "attack_start"), to = field(item, "attack_end");
    if (from && to) { return "headache from " + from + " to " + to; }
    if (hours && +hours > 0) { return "headache for " + hours + " hour" + (+hours === 1 ? "" : "s"); }
    return hours === "0" ? "no headache" : "your entry";
  }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }

  function mine() {
    return store.all().then(function (items) {
      return items.filter(function (i) { return i.owner === owner; })
        .sort(function (a, b) { return a.date < b.date ? -1 : 1; });
    });
  }

  function render(note) {
    return mine().then(function (items) {
      status.textContent = "";
      var offline = !navigator.onLine;
      if (!items.length && !offline && !note) { status.hidden = true; return items; }
      status.hidden = false;
      if (offline) {
        status.appendChild(el("p", "You are offline. What you record is kept on this phone " +
          "and sent to your clinic when you are back online.", "offline-lead"));
        if (document.getElementById("diary-home") && location.pathname !== "/me/") {
          // The service worker answered a page it did not keep (progress, treatment) with
          // the diary's home: say so, or the tap seems to have opened the wrong page.
          status.appendChild(el("p", "The page you opened needs the internet, so your " +
            "diary is shown instead.", "offline-lead"));
        }
      }
      if (note) { status.appendChild(el("p", note, "offline-sent")); }
      var waiting = items.filter(function (i) { return i.state === "waiting"; });
      waiting.forEach(markOnHome);
      if (waiting.length) {
        status.appendChild(el("p", "Waiting to be sent (" + waiting.length + "): " +
          waiting.map(function (i) { return longDate(i.date) + ", " + describe(i); }).join("; ") + "."));
      }
      items.filter(function (i) { return i.state !== "waiting"; }).forEach(function (item) {
        status.appendChild(item.state === "conflict" ? conflictBox(item) : attentionBox(item));
      });
      return items;
    });
  }

  function conflictBox(item) {
    var box = el("div", "", "offline-conflict");
    box.appendChild(el("p", longDate(item.date) + " was changed by your clinic while you were offline. Which should we keep?"));
    var list = el("ul");
    list.appendChild(el("li", "Your clinic's: " + item.clinic));
    list.appendChild(el("li", "Yours, from this phone: " + item.mine));
    box.appendChild(list);
    var keepMine = el("button", "Keep mine", "primary");
    keepMine.type = "button";
    keepMine.addEventListener("click", function () { chooseMine(item); });
    var keepClinic = el("button", "Keep the clinic's");
    keepClinic.type = "button";
    keepClinic.addEventListener("click", function () {
      store.remove(item.key).then(function () { render("Kept your clinic's entry for " + longDate(item.date) + "."); });
    });
    box.appendChild(keepMine);
    box.appendChild(document.createTextNode(" "));
    box.appendChild(keepClinic);
    return box;
  }

  function attentionBox(item) {
    var box = el("div", "", "offline-attention");
    box.appendChild(el("p", longDate(item.date) + " was not sent: " + (item.problems || []).join(" ")));
    var link = el("a", "Open the day to check it");
    link.href = "/me/diary/" + item.date + "/";
    box.appendChild(link);
    return box;
  }

  function setField(item, name, value) {
    item.fields = item.fields.filter(function (f) { return f[0] !== name; });
    item.fields.push([name, value]);
  }

  function chooseMine(item) {
    if (item.url === NO_HEADACHE_PATH) {
      item.url = "/me/diary/" + item.date + "/";
      item.fields = [["headache_hours", "0"], ["med-TOTAL_FORMS", "0"], ["med-INITIAL_FORMS", "0"]];
    }
    setField(item, "version", String(item.version));
    setField(item, "confirmed", "1");
    item.state = "waiting";
    store.put(item).then(sync);
  }

  function send(item) {
    var body = new URLSearchParams();
    item.fields.forEach(function (f) { body.append(f[0], f[1]); });
    body.set("idempotency_key", item.key);
    return fetch(item.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Cephalog-Sync": "1", "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("json") < 0) { return null; }  // logged out, CSRF: try again later
      return response.json().then(function (answer) {
        if (answer.status === "saved" || answer.status === "replayed") {
          return store.remove(item.key).then(function () { return item; });
        }
        if (answer.status === "conflict") {
          item.state = "conflict";
          item.version = answer.version;
          item.clinic = answer.clinic;
          item.mine = answer.mine;
        } else {
          item.state = "attention";
          item.problems = answer.problems || [];
        }
        return store.put(item).then(function () { return null; });
      });
    });
  }

  function sync() {
    if (syncing || !navigator.onLine) { return render(); }
    syncing = true;
    var sent = [];
    return mine().then(function (items) {
      var waiting = items.filter(function (i) { return i.state === "waiting"; });
      return waiting.reduce(function (chain, item) {
        return chain.then(function () {
          return send(item).then(function (done) { if (done) { sent.push(done); } });
        });
      }, Promise.resolve());
    }).catch(function () { /* the network went again: kept, tried next time */ })
      .then(function () {
        syncing = false;
        var note = sent.length ? "Sent to your clinic: " +
          sent.map(function (i) { return longDate(i.date) + ", " + describe(i); }).join("; ") + "." : "";
        return render(note).then(function () {
          var home = document.getElementById("diary-home");
          var typing = document.activeElement && /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName);
          if (sent.length && home && !typing) { refreshHome(note); }
        });
      });
  }

  // After sending, the home page's today card and counts are out of date: fetch it again.
  function refreshHome(note) {
    fetch(location.pathname, { credentials: "same-origin" }).then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("diary-home");
        var home = document.getElementById("diary-home");
        if (fresh && home) { home.innerHTML = fresh.innerHTML; if (root.htmx) { root.htmx.process(home); } }
        render(note);
      }).catch(function () {});
  }

  function isDiaryForm(form) {
    var path = new URL(form.getAttribute("hx-post") || form.action || location.href, location.href).pathname;
    return isDiaryPost(path) ? path : "";
  }

  function keepForm(form, submitter) {
    var path = isDiaryForm(form);
    var data = submitter ? new FormData(form, submitter) : new FormData(form);
    return keep(path, Array.from(data.entries()), owner);
  }

  // Offline: keep the entry instead of sending it (before htmx or the browser sends it).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (navigator.onLine || !isDiaryForm(form)) { return; }
    event.preventDefault();
    event.stopPropagation();
    keepForm(form, event.submitter).then(function (item) {
      if (document.getElementById("diary-home")) {
        markKept(form, item);
        render();
      } else {
        location.href = "/me/";
      }
    }).catch(function () {
      // Storage refused (private browsing, a full phone): say so, keep the form as typed.
      status.hidden = false;
      status.textContent = "This phone could not keep your entry. It is still in the form: " +
        "please save it again when you are back online.";
    });
  }, true);

  // A one-tap that htmx could not send (the network dropped): keep it too.
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail && event.detail.elt && event.detail.elt.closest("form");
    if (form && isDiaryForm(form)) { keepForm(form).then(function (item) { markKept(form, item); render(); }); }
  });

  // On the home page, a day kept on the phone is not "missed" any more.
  function markOnHome(item) {
    var home = document.getElementById("diary-home");
    if (!home) { return; }
    home.querySelectorAll("form input[name=date]").forEach(function (input) {
      var form = input.form;
      if (input.value === item.date && !form.hasAttribute("data-kept")) { markKept(form, item); }
    });
  }

  function markKept(form, item) {
    form.setAttribute("data-kept", "");
    var line = form.closest("li") || form.closest("section");
    var note = el("p", "Kept on this phone: " + longDate(item.date) + ", " + describe(item) + ".", "offline-kept");
    if (line) {
      // Kept is not missing: the card no longer says the day is not filled in.
      var unfilled = line.querySelector("[data-not-filled]");
      if (unfilled) { unfilled.hidden = true; }
      line.appendChild(note);
    }
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
  }

  // The day form offline (a page kept for any date): say which day it is.
  function fillOfflineDay() {
    var page = document.querySelector("[data-offline-day]");
    var match = DAY_PATH.exec(location.pathname);
    if (!page || !match) { return; }
    var heading = page.querySelector("[data-offline-date]");
    if (heading) { heading.textContent = longDate(match[1]); }
    document.title = longDate(match[1]) + " · cephalog";
  }

  // A home page kept from an earlier day: its "today" is not today any more.
  function freshenToday() {
    var card = document.querySelector("[data-today]");
    var today = localToday();
    if (navigator.onLine || !card || card.getAttribute("data-today") === today) { return; }
    card.querySelectorAll("input[name=date]").forEach(function (i) { i.value = today; });
    card.querySelectorAll("a[href^='/me/diary/']").forEach(function (a) { a.href = "/me/diary/" + today + "/"; });
    var heading = card.querySelector("h2");
    if (heading) { heading.textContent = "Today, " + longDate(today).toLowerCase(); }
  }

  // Online, the phone's date is not the diary's "today": the clinic keeps her diary in a
  // time zone that is not hers (the new-patient form starts at the clinic's). Her evening
  // entry would land on the wrong day; only the clinic can change it, so say so.
  function checkClock() {
    var card = document.querySelector("[data-today]");
    if (!navigator.onLine || !card || card.querySelector(".clock-note")) { return; }
    var today = localToday(), diary = card.getAttribute("data-today");
    if (!diary || diary === today) { return; }
    var words = function (iso) {
      var p = iso.split("-");
      return new Date(+p[0], +p[1] - 1, +p[2]).toLocaleDateString("en-GB",
        { weekday: "long", day: "numeric", month: "long" });
    };
    var zone = (card.getAttribute("data-time-zone") || "").replace(/_/g, " ");
    var note = el("p", "This phone's date is " + words(today) + ", but your diary keeps " +
      zone + " time, where it is " + words(diary) + ". If you live in another time zone, " +
      "please ask your clinic to change it, so each day is counted on the right date.",
      "clock-note");
    card.insertBefore(note, card.querySelector("h2").nextSibling);
  }

  // Something typed on this phone and not sent yet fills the day form again.
  function prefill() {
    var form = document.querySelector("form.day-form");
    if (!form) { return; }
    mine().then(function (items) {
      var item = items.filter(function (i) { return i.url === location.pathname; }).pop();
      if (!item) { return; }
      form.querySelectorAll("input[type=checkbox], input[type=radio]").forEach(function (i) { i.checked = false; });
      item.fields.forEach(function (f) {
        form.querySelectorAll("[name='" + f[0] + "']").forEach(function (input) {
          if (input.type === "checkbox" || input.type === "radio") {
            if (input.value === f[1] || (input.type === "checkbox" && f[1] === "on")) { input.checked = true; }
          } else if (input.type !== "hidden" || f[0] !== "csrfmiddlewaretoken") {
            input.value = f[1];
          }
        });
      });
      var note = el("p", "Not sent yet: what you typed on this phone is filled in below. " +
        (navigator.onLine ? "Press Save to send it." : "It is sent when you are back online."), "offline-kept");
      form.parentNode.insertBefore(note, form);
      // Saved from here, it must not be sent again later: the server stores its key once,
      // and the copy on the phone goes.
      var key = document.createElement("input");
      key.type = "hidden";
      key.name = "idempotency_key";
      key.value = item.key;
      form.appendChild(key);
      form.addEventListener("submit", function () {
        if (navigator.onLine) { store.remove(item.key).catch(function () {}); }
      });
    });
  }

  // Logging out: pages kept for offline use go; entries not sent stay (and say so).
  document.addEventListener("submit", function (event) {
    if (!event.target.classList.contains("logout")) { return; }
    if (root.caches) { root.caches.delete(PAGES); }
  }, true);

  root.addEventListener("online", sync);
  root.addEventListener("offline", function () { render(); });
  document.addEventListener("htmx:afterSwap", checkClock);  // the home's card, tapped anew
  fillOfflineDay();
  freshenToday();
  checkClock();
  prefill();
  sync();
})(self);
