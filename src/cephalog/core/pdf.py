"""HTML to PDF with WeasyPrint, fetching nothing but `data:` URIs (no network, no files)."""

from __future__ import annotations

from typing import Any


def data_only_fetcher() -> Any:
    """A WeasyPrint URL fetcher that refuses every URL but `data:` ones."""
    from weasyprint.urls import URLFetcher  # imported here: heavy, and only PDFs need it

    class DataOnly(URLFetcher):  # type: ignore[misc]
        """Refuse every URL but data: (no network, no file system)."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                raise ValueError(f"refused to fetch {url[:40]!r}: only data: URIs are allowed")
            return super().fetch(url, headers)

    return DataOnly(allowed_protocols=["data"], allow_redirects=False, timeout=1)


def html_to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML document (images and styles inline)."""
    from weasyprint import HTML

    pdf = HTML(string=html, base_url=None, url_fetcher=data_only_fetcher()).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
