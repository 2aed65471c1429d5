// The offline diary's service worker (issue 16.2), served at /me/sw.js so that its scope
// is the patient's pages. The server puts self.CEPHALOG before this file:
// { version, assets: [static URLs], pages: [home, offline day form], login }.
//
// - Static files: kept at install, served from the cache (their names change with them).
// - Patient pages: from the network; a copy of the diary pages is kept and shown when the
//   network is not there. A day not seen before gets the offline day form.
// - A diary form posted without network: kept (cephalog/offline.js, IndexedDB), then the
//   home page, which says it is waiting to be sent. Nothing typed is dropped.
"use strict";

var C = self.CEPHALOG;
var SHELL = "cephalog-shell-" + C.version;
var PAGES = "cephalog-pages";
var HOME = C.pages[0];
var OFFLINE_DAY = C.pages[1];
var KEPT_PAGE = /^\/me\/(diary\/(calendar|offline|\d{4}-\d{2}-\d{2})\/)?$/;

importScripts(C.assets.filter(function (url) { return /offline/.test(url); })[0]);

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL)
      .then(function (cache) { return cache.addAll(C.assets); })
      .then(function () {
        return Promise.all(C.pages.map(function (page) {
          return fetch(page, { credentials: "same-origin" }).then(function (response) {
            if (response.ok && !response.redirected) {
              return caches.open(PAGES).then(function (cache) { return cache.put(page, response); });
            }
          }).catch(function () {});
        }));
      })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("cephalog-shell-") === 0 && name !== SHELL;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "GET" && C.assets.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
  } else if (request.method === "GET" && request.mode === "navigate" && url.pathname.indexOf("/me/") === 0) {
    event.respondWith(page(request, url));
  } else if (request.method === "POST" && request.mode === "navigate" && self.CephalogOffline.isDiaryPost(url.pathname)) {
    event.respondWith(post(request, url));
  }
});

function page(request, url) {
  return fetch(request).then(function (response) {
    if (response.redirected && new URL(response.url).pathname.indexOf(C.login) === 0) {
      caches.delete(PAGES);  // signed out: nothing of this patient stays for the next one
    } else if (response.ok && !url.search && KEPT_PAGE.test(url.pathname)) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(url.pathname, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES).then(function (cache) {
      return cache.match(url.pathname).then(function (hit) {
        if (hit) { return hit; }
        if (/^\/me\/diary\/\d{4}-\d{2}-\d{2}\/$/.test(url.pathname)) { return cache.match(OFFLINE_DAY); }
        return cache.match(HOME);
      });
    }).then(function (hit) {
      return hit || new Response(
        "<!doctype html><meta name=viewport content='width=device-width'><title>Offline</title>" +
        "<p>You are offline, and this page was not kept on this phone. Open your diary when you are back online.</p>",
        { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
    });
  });
}

function post(request, url) {
  var copy = request.clone();
  return fetch(request).catch(function () {
    return copy.formData().then(function (data) {
      return self.CephalogOffline.store.owner().then(function (owner) {
        return self.CephalogOffline.keep(url.pathname, Array.from(data.entries()), owner);
      });
    }).then(function () { return Response.redirect(HOME, 303); });
  });
}
