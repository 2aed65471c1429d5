from django.core.exceptions import ValidationError


class MaximumLengthValidator:
    """Passwords may be long (passphrases); refuse only absurd lengths. ASVS 6.2.9 asks >= 64."""

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: object = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long: at most {self.max_length} characters.",
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return f"Up to {self.max_length} characters; a long passphrase (15 or more) is best."
