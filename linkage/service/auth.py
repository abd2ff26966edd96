"""Who may use LaoLink: users with passwords and sessions, systems with API keys, and their roles.

Everything lives in the service database (SQLite) and is read again on every request,
so a disabled user or a revoked key is refused at once. Secrets are never stored:
passwords as argon2id hashes, session tokens and API keys as SHA-256 digests (both are
256-bit random values, so a fast hash is enough); only the CSRF token is kept as is,
because it is useless without the session cookie it belongs to.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from linkage.errors import LaoLinkError
from linkage.service.password_policy import (  # noqa: F401 (MIN_PASSWORD_LENGTH re-exported)
    MIN_PASSWORD_LENGTH,
    PasswordRefused,
    check_password,
)

ROLES: tuple[str, ...] = ("admin", "steward", "analyst", "system")
KEY_PREFIX = "llk"

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so a wrong name costs as long as a wrong password."""
    return _hasher.hash(secrets.token_urlsafe(16))


class AuthError(LaoLinkError):
    """A credential that is refused; ``reason`` is safe to show to the person who sent it."""

    def __init__(self, reason: str, *, locked_out: bool = False) -> None:
        self.reason = reason
        self.locked_out = locked_out
        super().__init__(reason)


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user (``kind='user'``, ``name`` = username) or an API key (``name`` = key id).

    ``sources`` is None when every source may be seen in full, else the sources whose
    records this principal sees with personal fields (other sources: only
    source, record_id and role).
    """

    kind: str
    name: str
    role: str
    sources: frozenset[str] | None = None
    csrf_token: str | None = None
    must_change_password: bool = False  # a one-time password: only the password change is open to this session

    @property
    def actor(self) -> str:
        """How the audit log names this principal."""
        return self.name if self.kind == "user" else f"key:{self.name}"


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(at: datetime) -> str:
    """The text form SQLite's strftime('%Y-%m-%dT%H:%M:%fZ') produces, so strings compare as times."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise LaoLinkError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")


# --- users -------------------------------------------------------------------------------


def add_user(
    con: sqlite3.Connection,
    username: str,
    role: str,
    password: str,
    *,
    created_by: str | None = None,
    one_time: bool = True,
) -> None:
    """Create a user with an argon2id password hash (the ``system`` role is for API keys only).

    A password set by someone else (an admin, the CLI, the demo users) is ``one_time``: the user must change it
    at first log-in before anything else is open to them.
    """
    _check_role(role)
    if role == "system":
        raise LaoLinkError("the role system is for API keys only: create a key (laolink keys add) instead")
    if not username or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise LaoLinkError(f"username {username!r} may hold only letters, digits, '.', '_' and '-'")
    check_password(password, username)
    try:
        con.execute(
            "INSERT INTO users (username, role, password_hash, created_by, must_change_password)"
            " VALUES (?, ?, ?, ?, ?)",
            (username, role, _hasher.hash(password), created_by, int(one_time)),
        )
    except sqlite3.IntegrityError as exc:
        raise LaoLinkError(f"user {username!r} already exists") from exc


def disable_user(con: sqlite3.Connection, username: str) -> None:
    """Disable a user and end their sessions; they are refused from the next request on."""
    con.execute("BEGIN IMMEDIATE")
    try:
        changed = con.execute(
            "UPDATE users SET disabled_at = ? WHERE username = ? AND disabled_at IS NULL", (_stamp(_now()), username)
        ).rowcount
        con.execute("DELETE FROM sessions WHERE username = ?", (username,))
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    if not changed:
        exists = con.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchall()
        raise LaoLinkError(f"user {username!r} " + ("is already disabled" if exists else "does not exist"))


def list_users(con: sqlite3.Connection) -> list[dict]:
    """Every user; ``one_time_login``: their password was set by someone else and is not yet changed."""
    cols = ("username", "role", "created_at", "created_by", "disabled_at", "must_change_password")
    rows = con.execute(f"SELECT {', '.join(cols)} FROM users ORDER BY username").fetchall()
    return [{**dict(zip(cols[:5], r[:5], strict=True)), "one_time_login": bool(r[5])} for r in rows]


def count_active_users(con: sqlite3.Connection) -> int:
    return con.execute("SELECT count(*) FROM users WHERE disabled_at IS NULL").fetchall()[0][0]


# --- log in: passwords, lock-out, rate limit -------------------------------------------------


@dataclass(frozen=True)
class LoginPolicy:
    """Lock-out after ``max_failures`` failed logins of one user within ``window``, for ``lockout``;
    an address with ``max_address_failures`` failures within ``window`` is refused too."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    max_address_failures: int = 50


def _user_failures(con: sqlite3.Connection, username: str, since: datetime) -> tuple[int, str | None]:
    """Failed log-ins of a user after ``since`` and after their last success; and the latest one."""
    row = con.execute(
        """
        SELECT count(*), max(at) FROM login_attempts
        WHERE username = ? AND outcome = 'failed' AND at > ?
          AND at > coalesce((SELECT max(at) FROM login_attempts WHERE username = ? AND outcome = 'ok'), '')
        """,
        (username, _stamp(since), username),
    ).fetchall()[0]
    return row[0], row[1]


def _address_failures(con: sqlite3.Connection, address: str, since: datetime) -> int:
    """Failed log-ins from an address after ``since`` (a success of one's own account does not reset it)."""
    return con.execute(
        "SELECT count(*) FROM login_attempts WHERE address = ? AND outcome = 'failed' AND at > ?",
        (address, _stamp(since)),
    ).fetchall()[0][0]


def authenticate(
    con: sqlite3.Connection, username: str, password: str, *, address: str | None, policy: LoginPolicy
) -> Principal:
    """Check a username and password, applying the lock-out; raise AuthError when refused.

    Every attempt is recorded. The message never says whether the user exists.
    """
    now = _now()
    failures, latest = _user_failures(con, username, now - policy.window)
    locked = failures >= policy.max_failures and latest is not None and latest > _stamp(now - policy.lockout)
    if address is not None and not locked:
        locked = _address_failures(con, address, now - policy.window) >= policy.max_address_failures
    if locked:
        con.execute(
            "INSERT INTO login_attempts (username, address, outcome) VALUES (?, ?, 'locked')", (username, address)
        )
        raise AuthError("too many failed log-ins: try again later", locked_out=True)
    row = con.execute(
        "SELECT password_hash, role, disabled_at FROM users WHERE username = ?", (username,)
    ).fetchall()
    stored = row[0][0] if row else _dummy_hash()
    try:
        ok = _hasher.verify(stored, password) and bool(row) and row[0][2] is None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    con.execute(
        "INSERT INTO login_attempts (username, address, outcome) VALUES (?, ?, ?)",
        (username, address, "ok" if ok else "failed"),
    )
    if not ok:
        raise AuthError("wrong username or password, or the account is disabled")
    if _hasher.check_needs_rehash(stored):
        con.execute("UPDATE users SET password_hash = ? WHERE username = ?", (_hasher.hash(password), username))
    return Principal("user", username, row[0][1])


# --- password change and reset ----------------------------------------------------------------


def password_is_one_time(con: sqlite3.Connection, username: str) -> bool:
    """Whether the user's password was set by someone else and not yet changed by them."""
    rows = con.execute("SELECT must_change_password FROM users WHERE username = ?", (username,)).fetchall()
    return bool(rows and rows[0][0])


def change_password(
    con: sqlite3.Connection,
    username: str,
    current: str,
    new: str,
    *,
    address: str | None,
    policy: LoginPolicy,
    session_token: str | None = None,
) -> None:
    """A user changes their own password: the current one is checked as a log-in is (a wrong one counts
    toward the lock-out), the new one through the policy. Their other sessions end; ``session_token``'s stays."""
    authenticate(con, username, current, address=address, policy=policy)
    check_password(new, username)
    if new == current:
        raise PasswordRefused("the new password must differ from the current one")
    _set_password(con, username, new, one_time=False, keep_session=session_token)


def reset_password(con: sqlite3.Connection, username: str, password: str | None = None) -> str:
    """An admin sets a user's password (random when not given); it is one-time and every session of the user
    ends. Returns the password, to be handed over in person."""
    exists = con.execute("SELECT disabled_at IS NULL FROM users WHERE username = ?", (username,)).fetchall()
    if not exists:
        raise LaoLinkError(f"user {username!r} does not exist")
    if not exists[0][0]:
        raise LaoLinkError(f"user {username!r} is disabled")
    password = password if password is not None else secrets.token_urlsafe(12)
    check_password(password, username)
    _set_password(con, username, password, one_time=True, keep_session=None)
    return password


def _set_password(con: sqlite3.Connection, username: str, password: str, *, one_time: bool,
                  keep_session: str | None) -> None:
    digest = _hasher.hash(password)
    con.execute("BEGIN IMMEDIATE")
    try:
        con.execute("UPDATE users SET password_hash = ?, must_change_password = ? WHERE username = ?",
                    (digest, int(one_time), username))
        con.execute("DELETE FROM sessions WHERE username = ? AND token_sha256 IS NOT ?",
                    (username, _sha256(keep_session) if keep_session else None))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


# --- sessions and CSRF ----------------------------------------------------------------------


def create_session(con: sqlite3.Connection, username: str, *, lifetime: timedelta) -> tuple[str, str]:
    """Start a session; returns (session token for the cookie, CSRF token). Only the token's digest is stored."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    con.execute(
        "INSERT INTO sessions (token_sha256, username, csrf_token, expires_at) VALUES (?, ?, ?, ?)",
        (_sha256(token), username, csrf, _stamp(_now() + lifetime)),
    )
    con.execute("DELETE FROM sessions WHERE expires_at < ?", (_stamp(_now()),))
    return token, csrf


def session_principal(con: sqlite3.Connection, token: str) -> Principal | None:
    """The active, enabled user a session token belongs to, or None."""
    rows = con.execute(
        """
        SELECT u.username, u.role, s.csrf_token, u.must_change_password FROM sessions s JOIN users u USING (username)
        WHERE s.token_sha256 = ? AND s.expires_at > ? AND u.disabled_at IS NULL
        """,
        (_sha256(token), _stamp(_now())),
    ).fetchall()
    if not rows:
        return None
    username, role, csrf, must_change = rows[0]
    return Principal("user", username, role, csrf_token=csrf, must_change_password=bool(must_change))


def end_session(con: sqlite3.Connection, token: str) -> None:
    con.execute("DELETE FROM sessions WHERE token_sha256 = ?", (_sha256(token),))


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())


# --- API keys -------------------------------------------------------------------------------


def create_key(
    con: sqlite3.Connection,
    name: str,
    role: str,
    *,
    sources: list[str] | None = None,
    created_by: str | None = None,
) -> tuple[str, str]:
    """Create an API key; returns (key id, the key). The key is shown once: only its SHA-256 is stored."""
    _check_role(role)
    if not name.strip():
        raise LaoLinkError("a key needs a name saying which system uses it")
    cleaned = sorted({s.strip() for s in sources or [] if s.strip()}) or None
    if sources is not None and cleaned is None:
        # an empty list must not silently mean "every source"
        raise LaoLinkError("sources must name at least one source; leave it out for a key that sees all sources")
    key_id = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    con.execute(
        "INSERT INTO api_keys (key_id, name, role, sources, secret_sha256, created_by) VALUES (?, ?, ?, ?, ?, ?)",
        (key_id, name.strip(), role, json.dumps(cleaned) if cleaned else None, _sha256(key), created_by),
    )
    return key_id, key


def revoke_key(con: sqlite3.Connection, key_id: str) -> None:
    changed = con.execute(
        "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", (_stamp(_now()), key_id)
    ).rowcount
    if not changed:
        exists = con.execute("SELECT 1 FROM api_keys WHERE key_id = ?", (key_id,)).fetchall()
        raise LaoLinkError(f"key {key_id!r} " + ("is already revoked" if exists else "does not exist"))


def list_keys(con: sqlite3.Connection) -> list[dict]:
    rows = con.execute(
        "SELECT key_id, name, role, sources, created_at, created_by, revoked_at FROM api_keys ORDER BY created_at"
    ).fetchall()
    cols = ("key_id", "name", "role", "sources", "created_at", "created_by", "revoked_at")
    out = []
    for r in rows:
        item = dict(zip(cols, r, strict=True))
        item["sources"] = json.loads(item["sources"]) if item["sources"] else None
        out.append(item)
    return out


def key_principal(con: sqlite3.Connection, key: str) -> Principal | None:
    """The unrevoked key a bearer token is, or None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    rows = con.execute(
        "SELECT role, sources, secret_sha256 FROM api_keys WHERE key_id = ? AND revoked_at IS NULL", (parts[1],)
    ).fetchall()
    if not rows or not hmac.compare_digest(rows[0][2], _sha256(key)):
        return None
    role, sources, _ = rows[0]
    return Principal("key", parts[1], role, frozenset(json.loads(sources)) if sources else None)
