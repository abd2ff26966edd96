"""Interface text in English and Lao, kept in translation files; the language is a cookie."""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import cache
from pathlib import Path

from fastapi import Request

LANGUAGES = ("en", "lo")
LANG_COOKIE = "laolink_lang"
_DIR = Path(__file__).resolve().parent / "i18n"


@cache
def messages(lang: str) -> dict[str, str]:
    return json.loads((_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def request_language(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "en")
    return lang if lang in LANGUAGES else "en"


class Translator:
    """``t("key", n=3)``: the message in the page's language, English when a key is missing."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, **values: object) -> str:
        text = messages(self.lang).get(key) or messages("en").get(key, key)
        return text.format(**values) if values else text


def ddmmyyyy(value: object) -> str:
    """Dates as stewards read them: DD/MM/YYYY (ISO text or date objects); other values unchanged."""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        try:
            parsed = date.fromisoformat(value[:10])
        except ValueError:
            return value
        return parsed.strftime("%d/%m/%Y") + (value[10:16].replace("T", " ") if len(value) > 10 else "")
    return "" if value is None else str(value)
