"""Errors LaoLink declares. Parsers raise these, never bare exceptions, for bad input."""

from __future__ import annotations


class LaoLinkError(Exception):
    """Base of every error LaoLink raises on purpose."""


class FieldError(LaoLinkError, ValueError):
    """A value that cannot be parsed; ``reason`` is plain language for a data steward."""

    def __init__(self, reason: str, *, field: str | None = None, value: str | None = None) -> None:
        self.reason = reason
        self.field = field
        self.value = value
        where = f"{field}: " if field else ""
        super().__init__(f"{where}{reason}" + (f" (got {value!r})" if value is not None else ""))


class InputFileError(LaoLinkError):
    """A whole input file that cannot be read (encoding, format, size); names the file."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")
