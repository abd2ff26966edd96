"""What a password must be: long enough, not common, not the username, no control or invisible characters.

Checked wherever a password is set (``auth.add_user``: the admin API, the CLI and the demo users alike).
The blocklist holds the commonest passwords of public breach lists in their usual forms, plus keyboard
and counting runs ("123456789012", "qwertyuiop[]"); a password made of one repeated character or
mostly of one is refused as well.
"""

from __future__ import annotations

import unicodedata

from linkage.errors import LaoLinkError

MIN_PASSWORD_LENGTH = 12
MIN_DISTINCT_CHARACTERS = 5
COMMON_PASSWORDS = frozenset({
    "password", "password1", "password123", "passw0rd", "p@ssw0rd", "p@ssword", "qwerty", "qwerty123", "letmein",
    "welcome", "welcome1", "welcome123", "iloveyou", "admin", "admin123", "administrator", "changeme", "default",
    "secret", "monkey", "dragon", "football", "baseball", "sunshine", "princess", "trustno1", "superman",
    "starwars", "whatever", "master", "shadow", "michael", "abc123", "111111", "123123", "654321", "666666",
    "000000", "123456", "1234567", "12345678", "123456789", "1234567890", "laolink", "laolink123", "vientiane",
    "passwordpassword", "adminadmin", "qwertyqwerty", "iloveyou123", "welcomewelcome", "changemenow",
})
_RUNS = ("01234567890123456789", "98765432109876543210", "abcdefghijklmnopqrstuvwxyz",
         "qwertyuiop[]asdfghjkl;'zxcvbnm,./", "1qaz2wsx3edc4rfv5tgb6yhn", "!@#$%^&*()_+")


class PasswordRefused(LaoLinkError):
    """A password the policy refuses; the message says which rule and what to do."""


def check_password(password: str, username: str) -> None:
    """Raise :class:`PasswordRefused` unless ``password`` meets the policy (see the module docstring)."""
    bad = sorted({f"U+{ord(c):04X}" for c in password if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn")})
    if bad:
        raise PasswordRefused(f"password holds control or invisible characters ({', '.join(bad[:3])}): "
                              "type letters, digits, punctuation or spaces")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRefused(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    if len(set(password)) < MIN_DISTINCT_CHARACTERS or not password.strip():
        raise PasswordRefused(f"password needs at least {MIN_DISTINCT_CHARACTERS} different characters")
    folded = password.casefold()
    name = username.casefold()
    if name and (folded == name or (len(name) >= 4 and name in folded)):
        raise PasswordRefused("password may not contain the username")
    stem = folded.strip().rstrip("0123456789!.?*#@ ")
    if folded in COMMON_PASSWORDS or stem in COMMON_PASSWORDS or any(folded in run for run in _RUNS):
        raise PasswordRefused("password is one of the commonest passwords: choose a longer phrase of your own")
