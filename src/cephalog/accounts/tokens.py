"""The two kinds of set-password link (ADR 0005, "Set-password links").

An invitation link (`invite-accept`) is Django's default token: it lives for
PASSWORD_RESET_TIMEOUT (three days), as a new colleague or patient may open it days later.
A forgotten-password link (`password_reset_confirm`) is made and checked by
`reset_token_generator`: it lives for PASSWORD_RESET_LINK_TIMEOUT (an hour), as the person
asked for it just now and a link left in a mailbox should not open the account for days.
Its own salt keeps the two apart: an invitation's token does not open the reset page.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.http import base36_to_int

from cephalog.accounts.models import User


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
