from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import cache, lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from cephalog.audit import context

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


@lru_cache(maxsize=4096)  # a pure function of the text; read two or three times a request
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, unless the request comes from a trusted proxy
    (TRUSTED_PROXIES, docs/production.md); then the X-Forwarded-For entry nearest to the
    proxies that is not itself a trusted proxy (read from the right: entries further left
    were written by the client and prove nothing)."""
    peer = _address(request.META.get("REMOTE_ADDR") or "")
    if peer is None:
        return None
    if not settings.TRUSTED_PROXIES or not _trusted(peer):
        return str(peer)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for item in reversed([part for part in forwarded.split(",") if part.strip()]):
        hop = _address(item)
        if hop is None:
            break  # a garbled entry: trust nothing beyond it
        if not _trusted(hop):
            return str(hop)
        peer = hop
    return str(peer)


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.set_context(
            context.RequestContext(user=request.user, source_ip=client_ip(request))
        )
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
