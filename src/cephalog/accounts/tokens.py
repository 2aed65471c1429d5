"""The two kinds of set-password link (ADR 0005, "Set-password links").

An invitation link (`invite-accept`) is Django's default token: it lives for
PASSWORD_RESET_TIMEOUT (three days), as a new colleague or patient may open it days later.
A forgotten-password link (`password_reset_confirm`) is made and checked by
`reset_token_generator`: it lives for PASSWORD_RESET_LINK_TIMEOUT (an hour), as the person
asked for it just now and a link left in a mailbox should not open the account for days.
Its own salt keeps the two apart: an invitation's token does not open the reset page.

A link confirming a new sign-in address (`my-email-confirm`) is the same kind of token,
made by `email_change_token_generator` with a third salt and bound to the request
(accounts.models.EmailRequest), not to the password: it lives EMAIL_CHANGE_LINK_TIMEOUT
(a day) and says apart a link that is wrong from one that is too old.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int

from cephalog.accounts.models import EmailRequest, User


class ResetTokenGenerator(PasswordResetTokenGenerator):
    """Forgot-your-password links, valid for PASSWORD_RESET_LINK_TIMEOUT seconds."""

    key_salt = "cephalog.accounts.tokens.ResetTokenGenerator"

    def check_token(self, user: User | None, token: str | None) -> bool:
        # Django checks the signature and PASSWORD_RESET_TIMEOUT (the longer, invitations'
        # lifetime); the reset link's own, shorter one is checked here.
        if not super().check_token(user, token):
            return False
        assert token is not None  # super() refuses an empty token
        made = base36_to_int(token.split("-")[0])
        return self._num_seconds(self._now()) - made <= settings.PASSWORD_RESET_LINK_TIMEOUT


reset_token_generator = ResetTokenGenerator()


class EmailChangeTokenGenerator(PasswordResetTokenGenerator):
    """Links confirming a new sign-in address, bound to one EmailRequest (its id, user, the
    address asked for and the one it replaces), valid for EMAIL_CHANGE_LINK_TIMEOUT."""

    key_salt = "cephalog.accounts.tokens.EmailChangeTokenGenerator"

    def _make_hash_value(self, user: EmailRequest, timestamp: int) -> str:  # type: ignore[override]
        request = user
        return (
            f"{request.pk}:{request.user_id}:{request.old_email.lower()}:"
            f"{request.new_email.lower()}:{timestamp}"
        )

    def made_at(self, request: EmailRequest, token: str) -> int | None:
        """When the token for `request` was made (seconds, the generator's clock), or None
        if it is not one: Django's check_token without its lifetime, which the caller
        compares with EMAIL_CHANGE_LINK_TIMEOUT to tell an old link from a wrong one."""
        try:
            ts_b36, _ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return None
        for secret in [self.secret, *self.secret_fallbacks]:
            made = self._make_token_with_timestamp(request, ts, secret)  # type: ignore[arg-type]
            if constant_time_compare(made, token):
                return ts
        return None

    def expired(self, made: int) -> bool:
        return self._num_seconds(self._now()) - made > settings.EMAIL_CHANGE_LINK_TIMEOUT


email_change_token_generator = EmailChangeTokenGenerator()
