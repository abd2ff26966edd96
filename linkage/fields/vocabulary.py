"""This deployment's own words for a record's role, case type and form of exploitation, beside the built-in ones.

One YAML file beside the store (``StorePaths.vocabulary``), field -> code -> the words that stand for it::

    role:
      victim: [ຜູ້ຖືກຫຼອກລວງ]
    exploitation:
      labour: [rubber tapping]

written by ``laolink vocabulary add FIELD WORD CODE``. The file only adds to the built-in words
(``linkage/fields/case_codes.py``): a word they read as another code is refused with both named, and so is a word
the file gives two codes. Each field's words have a digest (of the words and codes, not of the file's layout): when
one changes, the next standardizing run reads that field's stored values again (``vocabulary_reread``) and the
standardization cache of that field is emptied (``std_cache``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from linkage.errors import FieldError, InputFileError
from linkage.fields.case_codes import (
    VOCABULARIES,
    built_in_code,
    deployment_code,
    fold_word,
    is_blank,
    use_deployment_words,
)

FIELDS: tuple[str, ...] = tuple(VOCABULARIES)  # role, case_type, exploitation
_HEADER = (
    "# Words for role, case type and exploitation as this deployment's records write them -> the code each stands\n"
    "# for. Written by `laolink vocabulary add FIELD WORD CODE`; the next nightly reads again the stored values of\n"
    "# the fields whose words changed. Words here only add to the built-in ones (linkage/fields/case_codes.py).\n"
)


@dataclass(frozen=True)
class Vocabulary:
    """A deployment's words, field -> code -> words as written, and each field's digest ('' for no words)."""

    words: dict[str, dict[str, tuple[str, ...]]]
    digests: dict[str, str]


_EMPTY = Vocabulary({}, {field: "" for field in FIELDS})
_loaded: tuple[Path | None, str, Vocabulary] = (None, "", _EMPTY)  # (file, its text, what it says)


def check_field(field: str) -> str:
    """The field named (``case-type`` as ``case_type``); FieldError listing the fields that have words otherwise."""
    name = field.strip().lower().replace("-", "_")
    if name not in VOCABULARIES:
        raise FieldError(f"not a field a deployment teaches words for: {', '.join(FIELDS)}", field="field", value=field)
    return name


def check_code(field: str, code: str) -> str:
    """The code as the field's readers give it ('tip' as 'TIP'); FieldError listing the field's codes otherwise."""
    codes = {c.lower(): c for c in VOCABULARIES[field]}
    found = codes.get(code.strip().lower().replace("-", "_").replace(" ", "_"))
    if found is None:
        raise FieldError(f"not one of the {field} codes: {', '.join(VOCABULARIES[field])}", field="code", value=code)
    return found


def _built_in_spelling(field: str, word: str) -> str:
    """The built-in word that reads ``word`` (for messages)."""
    folded = fold_word(word)
    for code, spellings in VOCABULARIES[field].items():
        for spelling in (*spellings, code):
            if fold_word(spelling) in (folded, folded.replace(" ", "")):
                return spelling
    return word


def check_word(field: str, word: str, code: str) -> str | None:
    """FieldError when ``word`` may not mean ``code`` in this deployment: blank, or a built-in word of another
    code (both named). The built-in code when the built-in words already read it so, else None."""
    if not word.strip() or is_blank(word):
        raise FieldError("a blank value is read as no value, never as a code", field=field, value=word)
    built_in = built_in_code(field, word)
    if built_in is not None and built_in != code:
        raise FieldError(f"'{word.strip()}' is the built-in word '{_built_in_spelling(field, word)}' for {built_in};"
                         f" a deployment word may not make it {code}", field=field, value=word)
    return built_in


def _digest(words: dict[str, tuple[str, ...]]) -> str:
    """The digest of a field's words as read (folded, sorted): the file's layout and comments aside."""
    if not words:
        return ""
    canonical = {code: sorted({fold_word(w) for w in values}) for code, values in sorted(words.items())}
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def parse_vocabulary_text(text: str, name: str) -> Vocabulary:
    """Read a vocabulary file's content; InputFileError naming the file and the field, code or word at fault."""
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise InputFileError(name, f"not valid YAML: {exc}") from None
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise InputFileError(name, "must map fields to codes to lists of words (e.g. 'role: {victim: [...]}')")
    words: dict[str, dict[str, tuple[str, ...]]] = {}
    for field, by_code in data.items():
        try:
            field = check_field(str(field))
        except FieldError as exc:
            raise InputFileError(name, f"{field!r}: {exc.reason}") from None
        if not isinstance(by_code, dict):
            raise InputFileError(name, f"{field}: must map codes to lists of words")
        seen: dict[str, str] = {}
        for code, values in by_code.items():
            try:
                code = check_code(field, str(code))
            except FieldError as exc:
                raise InputFileError(name, f"{field}: {code!r} is {exc.reason}") from None
            values = [values] if isinstance(values, str) else values
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise InputFileError(name, f"{field}.{code}: words must be a list of texts")
            for value in values:
                try:
                    check_word(field, value, code)
                except FieldError as exc:
                    raise InputFileError(name, f"{field}.{code}: {exc.reason}") from None
                other = seen.setdefault(fold_word(value).replace(" ", ""), code)  # spaces aside, as readers try
                if other != code:
                    raise InputFileError(name, f"{field}: '{value.strip()}' is listed for both {other} and {code}")
            words.setdefault(field, {})[code] = (*words.get(field, {}).get(code, ()), *(v.strip() for v in values))
    return Vocabulary(words, {field: _digest(words.get(field, {})) for field in FIELDS})


def _read_text(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(str(path), f"cannot be read: {exc}") from None


def use_deployment_vocabulary(path: Path | None) -> dict[str, str]:
    """Read roles, case types and forms of exploitation with this deployment file's words too (None or a missing
    file: the built-in words only); each field's digest of the words read."""
    global _loaded
    text = _read_text(path)
    if (path, text) != _loaded[:2]:
        vocabulary = parse_vocabulary_text(text, str(path)) if text.strip() else _EMPTY
        use_deployment_words({field: {fold_word(w): code for code, values in by_code.items() for w in values}
                              for field, by_code in vocabulary.words.items()})
        _loaded = (path, text, vocabulary)
    return dict(_loaded[2].digests)


def vocabulary_digest(field: str) -> str:
    """The digest of the deployment words ``field`` is read with now ('' for none)."""
    return _loaded[2].digests.get(field, "")


def write_vocabulary_file(path: Path, words: dict[str, dict[str, tuple[str, ...]]]) -> None:
    """Write a deployment's words, fields and codes in the built-in order, owner-only like the rest of the store."""
    ordered = {field: {code: list(words[field][code]) for code in VOCABULARIES[field] if words[field].get(code)}
               for field in FIELDS if words.get(field)}
    body = yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, default_flow_style=None, width=120)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(_HEADER + body, encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)


def add_word(path: Path, field: str, word: str, code: str) -> tuple[str, str, bool]:
    """Add ``word`` -> ``code`` to the field's words in the deployment file ``path``: (field, code, added), added
    False when the word already reads as the code. FieldError for an unknown field or code, a blank word, a word
    the built-in words or the file already read as another code (both named)."""
    from linkage.fields.invisible import visible_or_none

    field = check_field(field)
    code = check_code(field, code)
    written = (visible_or_none(word) or "").strip()
    if check_word(field, written, code) == code:
        return field, code, False
    use_deployment_vocabulary(path)
    own = deployment_code(field, written)
    if own == code:
        return field, code, False
    if own is not None:
        raise FieldError(f"'{written}' is already this deployment's word for {own} ({path}); a word stands for one"
                         f" code", field=field, value=word)
    words = {f: dict(by_code) for f, by_code in _loaded[2].words.items()}
    by_code = words.setdefault(field, {})
    by_code[code] = (*by_code.get(code, ()), written)
    write_vocabulary_file(path, words)
    use_deployment_vocabulary(path)
    return field, code, True
