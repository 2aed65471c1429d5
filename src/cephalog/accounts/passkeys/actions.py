"""Registering and using passkeys (py_webauthn does the WebAuthn checks).

Each ceremony's challenge lives in the session, once: options are fetched, the browser
asks the authenticator, and the answer is verified against that challenge, this site's
origin and relying-party id (the host the user reached, which ALLOWED_HOSTS vouches for),
with user verification required. A passkey added or removed is audited and emailed.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from cephalog.accounts.passkeys.models import Passkey
from cephalog.audit.actions import record
from cephalog.core.errors import AppError

REGISTER = "cephalog_passkey_register"
AUTHENTICATE = "cephalog_passkey_authenticate"
RP_NAME = "cephalog"
MAX_PASSKEYS = 10


class PasskeyError(AppError):
    """Shown to the user as is: plain words (one problem, about no field)."""

    #: The passkey views answer a refusal with 400 (the ceremony's answer was refused).
    status = 400

    def __init__(self, words: str) -> None:
        super().__init__([("", words)])


def relying_party(request: HttpRequest) -> tuple[str, str]:
    """(rp id, origin) of the site as the user reached it."""
    host = request.get_host()
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return hostname.strip("[]"), f"{request.scheme}://{host}"


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey.credential_id))


def registration_options(request: HttpRequest) -> str:
    user: Any = request.user
    rp_id, _ = relying_party(request)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_id=str(user.pk).encode(),
        user_name=user.get_username(),
        user_display_name=user.get_full_name() or user.get_username(),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[_descriptor(p) for p in Passkey.objects.filter(user=user)],
    )
    request.session[REGISTER] = bytes_to_base64url(options.challenge)
    return str(options_to_json(options))


def _take_challenge(request: HttpRequest, key: str) -> str:
    """The challenge this session was given for `key`, used once."""
    challenge = request.session.pop(key, None)
    if not challenge:
        raise PasskeyError("Start again: the passkey request expired.")
    return str(challenge)


@transaction.atomic
def register(request: HttpRequest, credential: Any, name: str) -> Passkey:
    from cephalog.accounts.mfa import notify

    challenge = _take_challenge(request, REGISTER)
    user = request.user
    if Passkey.objects.filter(user=user).count() >= MAX_PASSKEYS:
        raise PasskeyError(f"You have {MAX_PASSKEYS} passkeys already: remove one first.")
    rp_id, origin = relying_party(request)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise PasskeyError("The passkey could not be checked. Please try again.") from None
    transports = (
        credential.get("response", {}).get("transports", []) if isinstance(credential, dict) else []
    )
    passkey: Passkey = Passkey.objects.create(
        user=user,
        name=(name.strip() or "Passkey")[:64],
        confirmed=True,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[str(t) for t in transports][:8],
    )
    record(action="privilege", category="passkey", user=user, detail={"added": passkey.pk})
    notify(user, "A passkey was added to your cephalog login.")
    return passkey


def authentication_options(request: HttpRequest, user: Any = None) -> str:
    """Options for signing in (any passkey of this site: `user` None) or for a staff
    member's second factor (theirs only)."""
    rp_id, _ = relying_party(request)
    allowed = [_descriptor(p) for p in Passkey.objects.filter(user=user)] if user else []
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    request.session[AUTHENTICATE] = bytes_to_base64url(options.challenge)
    return str(options_to_json(options))


@transaction.atomic
def authenticate(request: HttpRequest, credential: Any, user: Any = None) -> Passkey:
    """The passkey that answered the challenge (of `user` when given); raises PasskeyError."""
    challenge = _take_challenge(request, AUTHENTICATE)
    if not isinstance(credential, dict) or not isinstance(credential.get("id"), str):
        raise PasskeyError("The passkey could not be checked. Please try again.")
    passkeys = Passkey.objects.select_for_update().select_related("user")
    passkey: Passkey | None = passkeys.filter(credential_id=credential["id"]).first()
    if passkey is None or (user is not None and passkey.user_id != user.pk):
        raise PasskeyError("This passkey is not known here.")
    rp_id, origin = relying_party(request)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        record(action="login_failed", category="passkey", user=passkey.user)
        raise PasskeyError("The passkey could not be checked. Please try again.") from None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = timezone.now()
    passkey.save(update_fields=["sign_count", "last_used_at"])
    return passkey


@transaction.atomic
def remove(user: Any, passkey_id: int) -> bool:
    from cephalog.accounts.mfa import notify

    deleted, _ = Passkey.objects.filter(user=user, pk=passkey_id).delete()
    if deleted:
        record(action="privilege", category="passkey", user=user, detail={"removed": passkey_id})
        notify(user, "A passkey was removed from your cephalog login.")
    return bool(deleted)


def parse(body: bytes) -> dict[str, Any]:
    from cephalog import safe_json

    try:
        data = safe_json.loads(body or b"{}")
    except ValueError:
        raise PasskeyError("The passkey answer could not be read.") from None
    if not isinstance(data, dict):
        raise PasskeyError("The passkey answer could not be read.")
    return data


def as_json(value: Any) -> str:
    return json.dumps(value)
