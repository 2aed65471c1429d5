"""`X-Forwarded-Proto: https` is believed only from CEPHALOG_TRUSTED_PROXIES: a client
talking plain HTTP to the application server cannot claim its request is secure and skip
the HTTPS redirect (cephalog.ops.middleware.ForwardedProtoMiddleware)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

PROXY_SETTINGS: dict[str, Any] = {
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_SSL_REDIRECT": True,
    "TRUSTED_PROXIES": ["10.1.2.3", "::1"],
}


def _get(remote_addr: str) -> Any:
    return Client().get("/healthz", REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_PROTO="https")


@pytest.mark.django_db
@override_settings(**PROXY_SETTINGS)
def test_a_client_that_is_not_a_trusted_proxy_is_redirected_to_https_all_the_same() -> None:
    response = _get("203.0.113.9")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


@pytest.mark.django_db
@override_settings(**PROXY_SETTINGS)
@pytest.mark.parametrize("proxy", ["10.1.2.3", "::1"])
def test_a_trusted_proxy_saying_https_is_believed(proxy: str) -> None:
    assert _get(proxy).status_code == 200


@pytest.mark.django_db
@override_settings(**{**PROXY_SETTINGS, "TRUSTED_PROXIES": []})
def test_without_trusted_proxies_nobody_is_believed() -> None:
    assert _get("127.0.0.1").status_code == 301
