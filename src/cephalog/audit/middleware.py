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


@lru_cache(maxsize=4096)
def trusted_peer(remote: str, proxies: tuple[str, ...]) -> bool:
    """Whether the peer address `remote` (REMOTE_ADDR) is one of the trusted `proxies`."""
    peer = _address(remote)
    return peer is not None and any(peer in net for net in _networks(proxies))


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, unless the request comes from a trusted proxy
    (TRUSTED_PROXIES, docs/production.md); then the X-Forwarded-For entry nearest to the
    proxies that is not itself a trusted proxy (read from the right: entries further left
    were written by the client and prove nothing)."""
    meta = request.META
    return _client_ip(
        meta.get("REMOTE_ADDR") or "",
        meta.get("HTTP_X_FORWARDED_FOR", ""),
        tuple(settings.TRUSTED_PROXIES or ()),
    )


@lru_cache(maxsize=4096)  # a pure function of its texts; asked once or twice a request
def _client_ip(remote: str, forwarded: str, proxies: tuple[str, ...]) -> str | None:
    peer = _address(remote)
    if peer is None:
        return None
    networks = _networks(proxies)
    if not any(peer in net for net in networks):
        return str(peer)
    for item in reversed([part for part in forwarded.split(",") if part.strip()]):
        hop = _address(item)
        if hop is None:
            break  # a garbled entry: trust nothing beyond it
        if not any(hop in net for net in networks):
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
