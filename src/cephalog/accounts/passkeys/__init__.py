"""Passkeys (WebAuthn, with py_webauthn): patients sign in with one; staff use one as a
second factor beside their authenticator app (issue 16.1)."""
