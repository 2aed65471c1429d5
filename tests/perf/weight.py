"""What a page costs a browser on its first load: the HTML and every asset it references.

Counted as transferred in production: static files are served by whitenoise
from the copies `collectstatic` pre-compresses (CompressedManifestStaticFilesStorage,
docs/production.md), so a browser receives the gzip copy of CSS, JS and SVG;
gzip is counted, not brotli, because brotli is only there when the optional
`brotli` package is installed (whitenoise then serves that, smaller still).
Images and fonts are already compressed and count as they are. The HTML comes
from Django uncompressed (no GZipMiddleware; a proxy may compress it), so it
counts in full. A first load has an empty cache: every asset counts once.

Used by tests/perf/test_page_weight.py (the budget) and bench/pages.py (the figures).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

#: 1 KB = 1,000 bytes here (the stricter reading of the budget).
KB = 1000

KINDS = {
    ".css": "css",
    ".js": "js",
    ".mjs": "js",
    ".svg": "image",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".gif": "image",
    ".webp": "image",
    ".ico": "image",
    ".woff": "font",
    ".woff2": "font",
    ".ttf": "font",
    ".otf": "font",
    ".webmanifest": "manifest",
}
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")


@dataclass(frozen=True)
class Asset:
    url: str
    kind: str  # html, css, js, image, font, other
    raw: int  # bytes of the file
    transferred: int  # bytes on the wire in production (see the module docstring)


@dataclass(frozen=True)
class PageWeight:
    assets: tuple[Asset, ...]

    def total(self, *, kind: str | None = None, raw: bool = False) -> int:
        return sum(
            a.raw if raw else a.transferred for a in self.assets if kind is None or a.kind == kind
        )

    def describe(self) -> str:
        return ", ".join(
            f"{a.url} {a.transferred / KB:.1f} KB ({a.raw / KB:.1f} KB raw)" for a in self.assets
        )


class _References(HTMLParser):
    """The URLs a document makes the browser fetch: stylesheets, scripts, images, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "link":
            rel = set(a.get("rel", "").lower().split())
            if rel & {"stylesheet", "icon", "preload", "modulepreload", "manifest"}:
                self.urls.append(a.get("href", ""))
        elif tag in ("script", "img", "source", "input", "audio", "video", "iframe", "embed"):
            if a.get("src"):
                self.urls.append(a["src"])
            for candidate in a.get("srcset", "").split(","):
                if candidate.strip():
                    self.urls.append(candidate.split()[0])
        elif tag == "object" and a.get("data"):
            self.urls.append(a["data"])


def gzip_size(data: bytes) -> int:
    """What whitenoise serves for `data`: its gzip copy when that saves at least 5 %
    (whitenoise.compress.Compressor: level 9, the rule collectstatic applies)."""
    from whitenoise.compress import Compressor

    compressed = Compressor.compress_gzip(data)
    return len(compressed) if data and len(compressed) / len(data) <= 0.95 else len(data)


def static_file(url: str) -> bytes:
    """The bytes of a static file named by its URL (found as the finders find it)."""
    from django.conf import settings
    from django.contrib.staticfiles import finders

    path = urlsplit(url).path
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    if not path.startswith(prefix):
        raise ValueError(f"{url}: not a static file (the page may only load its own assets)")
    found = finders.find(path.removeprefix(prefix))
    if not found:
        raise ValueError(f"{url}: referenced by the page but not found among the static files")
    with open(found if isinstance(found, str) else found[0], "rb") as f:
        return f.read()


def page_weight(html: bytes, page_url: str = "/") -> PageWeight:
    """The weight of the page `html` (as served at `page_url`) and of everything it loads."""
    from whitenoise.compress import Compressor

    assets = [Asset(page_url, "html", len(html), len(html))]
    parser = _References()
    parser.feed(html.decode())
    pending = [urljoin(page_url, u) for u in parser.urls if not u.startswith("data:")]
    seen: set[str] = set()
    while pending:
        url = pending.pop(0)
        if url in seen:
            continue
        seen.add(url)
        data = static_file(url)
        path = urlsplit(url).path
        kind = KINDS.get(PurePosixPath(path).suffix.lower(), "other")
        wire = gzip_size(data) if Compressor(quiet=True).should_compress(path) else len(data)
        assets.append(Asset(url, kind, len(data), wire))
        if kind == "css":
            for match in _CSS_URL.finditer(data.decode()):
                ref = match.group(2) or match.group(4)
                if ref and not ref.startswith(("data:", "#")):
                    pending.append(urljoin(url, ref))
    return PageWeight(tuple(assets))
