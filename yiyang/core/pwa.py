"""The installable phone app shell (DESIGN.md §1: one PWA shell for visitors, caregivers, inspectors and
responders): a web manifest and a service worker for an app living under one URL prefix.

An app declares its shell once and serves both from views under its prefix (a service worker controls
only the pages at or below the folder it is served from):

    SHELL = Shell(name="探访关爱", short_name="探访", start="/visits/app/",
                  assets=("core/offline.js", "visits/app.js", "yiyang/site.css"))

    def manifest(request): return pwa.manifest_response(SHELL)
    def worker(request):   return pwa.worker_response(SHELL)

The worker keeps the shell (the start page and its static files) in a cache named after the assets'
URLs, so a new release (new hashed file names) replaces the cache. Pages of the shell are fetched from
the network first and from the cache when there is no network; static files from the cache first; API
calls are never cached: the page keeps what it has not sent in IndexedDB (core/static/core/offline.js)
and sends it when the network is back. The worker is hand-written (a few dozen lines): Workbox is not
among the installed packages (decision 0019).
"""

import hashlib
import json
from dataclasses import dataclass

from django.http import HttpResponse
from django.templatetags.static import static


@dataclass(frozen=True)
class Shell:
    name: str
    short_name: str
    start: str  # the start page and the worker's scope, ending in "/"
    assets: tuple[str, ...] = ()
    theme_color: str = "#b5482a"
    background_color: str = "#f7f5f2"


def _asset_urls(shell: Shell) -> list[str]:
    return [
        shell.start,
        f"{shell.start}manifest.webmanifest",
        f"{shell.start}icon.svg",
        *(static(path) for path in shell.assets),
    ]


def manifest_response(shell: Shell) -> HttpResponse:
    body = {
        "name": shell.name,
        "short_name": shell.short_name,
        "lang": "zh-CN",
        "start_url": shell.start,
        "scope": shell.start,
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": shell.theme_color,
        "background_color": shell.background_color,
        "icons": [{"src": f"{shell.start}icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/manifest+json")


WORKER = """// The app shell's service worker (yiyang/core/pwa.py).
const CACHE = %(cache)s;
const SHELL = %(urls)s;
const START = %(start)s;
self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((key) => key.startsWith("shell-") && key !== CACHE).map((key) => caches.delete(key))
  )).then(() => self.clients.claim()));
});
self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (url.pathname !== START && SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  if (request.mode === "navigate" || url.pathname.startsWith(START)) {
    // Pages: the network first (a fresh sign-in and form token), the cached shell without a network.
    event.respondWith(fetch(request).then((response) => {
      if (response.ok && !response.redirected && url.pathname === START) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(START, copy));
      }
      return response;
    }).catch(() => caches.match(request, {ignoreSearch: true}).then((hit) => hit || caches.match(START))));
  }
});
"""


def worker_response(shell: Shell) -> HttpResponse:
    urls = _asset_urls(shell)
    cache = "shell-" + hashlib.sha256("\n".join(urls).encode()).hexdigest()[:12]
    body = WORKER % {"cache": json.dumps(cache), "urls": json.dumps(urls), "start": json.dumps(shell.start)}
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = shell.start
    response["Cache-Control"] = "no-cache"
    return response


ICON = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96"><rect width="96" height="96" rx="18"
fill="%s"/><text x="48" y="64" font-size="48" text-anchor="middle" fill="#fff" font-family="sans-serif">%s</text></svg>"""


def icon_response(shell: Shell) -> HttpResponse:
    return HttpResponse(ICON % (shell.theme_color, shell.short_name[:1]), content_type="image/svg+xml")
