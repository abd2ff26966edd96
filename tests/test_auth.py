"""Users, passwords, lock-out, sessions, API keys and what each role sees of a record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.masking import initials, last_two, masked_record, visible_record
from linkage.errors import LaoLinkError
from linkage.service import auth
from linkage.service.auth import AuthError, LoginPolicy, Principal
from linkage.service.service_db import connect_service

POLICY = LoginPolicy(max_failures=3, window=timedelta(minutes=15), lockout=timedelta(minutes=15))
PASSWORD = "correct horse battery"


@pytest.fixture()
def con(tmp_path):
    con = connect_service(tmp_path / "svc.sqlite")
    yield con
    con.close()


def test_password_is_stored_as_argon2id_hash(con):
    auth.add_user(con, "noy", "steward", PASSWORD)
    stored = con.execute("SELECT password_hash FROM users WHERE username = 'noy'").fetchall()[0][0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    principal = auth.authenticate(con, "noy", PASSWORD, address="10.0.0.1", policy=POLICY)
    assert principal == Principal("user", "noy", "steward")


@pytest.mark.parametrize(
    ("username", "role", "password", "problem"),
    [
        ("noy", "boss", PASSWORD, "unknown role"),
        ("no y", "steward", PASSWORD, "letters, digits"),
        ("", "steward", PASSWORD, "letters, digits"),
        ("noy", "steward", "short", "too short"),
        # issue #20 row 5: each was accepted
        ("noy", "steward", "a" * 12, "different characters"),
        ("noy", "steward", " " * 12, "different characters"),
        ("noy", "steward", "\u200b" * 12, "invisible"),
        ("noy", "steward", "\x00" * 12, "control"),
        ("noy", "steward", "correct\u200dhorse battery", "U\\+200D"),
        ("noy", "steward", "123456789012", "commonest"),
        ("noy", "steward", "Password123!", "commonest"),
        ("noy.phommavong", "steward", "noy.phommavong", "username"),
        ("noy.phommavong", "steward", "NOY.PHOMMAVONG-2024", "username"),
        ("noy", "system", PASSWORD, "API keys only"),
    ],
)
def test_bad_users_are_refused_with_a_reason(con, username, role, password, problem):
    with pytest.raises(LaoLinkError, match=problem):
        auth.add_user(con, username, role, password)


def test_duplicate_user_is_refused(con):
    auth.add_user(con, "noy", "steward", PASSWORD)
    with pytest.raises(LaoLinkError, match="already exists"):
        auth.add_user(con, "noy", "analyst", PASSWORD)


def test_lockout_after_max_failures_even_with_right_password(con):
    auth.add_user(con, "noy", "steward", PASSWORD)
    for _ in range(3):
        with pytest.raises(AuthError) as info:
            auth.authenticate(con, "noy", "wrong password!", address="10.0.0.1", policy=POLICY)
        assert not info.value.locked_out
    with pytest.raises(AuthError) as info:
        auth.authenticate(con, "noy", PASSWORD, address="10.0.0.1", policy=POLICY)
    assert info.value.locked_out
    outcomes = [r[0] for r in con.execute("SELECT outcome FROM login_attempts ORDER BY rowid").fetchall()]
    assert outcomes == ["failed", "failed", "failed", "locked"]


def test_lockout_ends_after_its_time(con):
    auth.add_user(con, "noy", "steward", PASSWORD)
    for _ in range(3):
        with pytest.raises(AuthError):
            auth.authenticate(con, "noy", "wrong password!", address="10.0.0.1", policy=POLICY)
    # the failures happened 20 minutes ago: outside window and lock-out
    con.execute("UPDATE login_attempts SET at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-20 minutes')")
    assert auth.authenticate(con, "noy", PASSWORD, address="10.0.0.1", policy=POLICY).name == "noy"


def test_success_resets_the_failure_count(con):
    auth.add_user(con, "noy", "steward", PASSWORD)
    for _ in range(2):
        with pytest.raises(AuthError):
            auth.authenticate(con, "noy", "wrong password!", address=None, policy=POLICY)
    auth.authenticate(con, "noy", PASSWORD, address=None, policy=POLICY)
    for _ in range(2):
        with pytest.raises(AuthError):
            auth.authenticate(con, "noy", "wrong password!", address=None, policy=POLICY)
    assert auth.authenticate(con, "noy", PASSWORD, address=None, policy=POLICY).role == "steward"


def test_address_limit_is_not_reset_by_a_success(con):
    policy = LoginPolicy(max_failures=3, max_address_failures=4)
    auth.add_user(con, "mine", "analyst", PASSWORD)
    for victim in ("a", "b", "c"):
        with pytest.raises(AuthError):
            auth.authenticate(con, victim, "guess guess guess", address="10.9.9.9", policy=policy)
    auth.authenticate(con, "mine", PASSWORD, address="10.9.9.9", policy=policy)  # own account: still fine
    with pytest.raises(AuthError):
        auth.authenticate(con, "d", "guess guess guess", address="10.9.9.9", policy=policy)
    with pytest.raises(AuthError) as info:
        auth.authenticate(con, "mine", PASSWORD, address="10.9.9.9", policy=policy)
    assert info.value.locked_out
    assert auth.authenticate(con, "mine", PASSWORD, address="10.1.1.1", policy=policy).name == "mine"


def test_unknown_user_and_wrong_password_give_the_same_message(con):
    auth.add_user(con, "noy", "steward", PASSWORD)
    messages = set()
    for username in ("noy", "nobody"):
        with pytest.raises(AuthError) as info:
            auth.authenticate(con, username, "wrong password!", address=None, policy=POLICY)
        messages.add(info.value.reason)
    assert len(messages) == 1


def test_session_token_is_stored_hashed_and_ends_when_user_disabled(con):
    auth.add_user(con, "noy", "steward", PASSWORD)
    token, csrf = auth.create_session(con, "noy", lifetime=timedelta(hours=1))
    assert con.execute("SELECT count(*) FROM sessions WHERE token_sha256 = ?", (token,)).fetchall()[0][0] == 0
    principal = auth.session_principal(con, token)
    assert principal is not None and principal.csrf_token == csrf and principal.role == "steward"
    auth.disable_user(con, "noy")
    assert auth.session_principal(con, token) is None
    with pytest.raises(AuthError):
        auth.authenticate(con, "noy", PASSWORD, address=None, policy=POLICY)


def test_expired_session_is_refused(con):
    auth.add_user(con, "noy", "steward", PASSWORD)
    token, _ = auth.create_session(con, "noy", lifetime=timedelta(seconds=-1))
    assert auth.session_principal(con, token) is None


def test_csrf_matching():
    assert auth.csrf_matches("abc", "abc")
    assert not auth.csrf_matches("abc", "abd")
    assert not auth.csrf_matches("abc", None)
    assert not auth.csrf_matches(None, None)
    assert not auth.csrf_matches("", "")


def test_api_key_lifecycle(con):
    key_id, key = auth.create_key(con, "border system", "system", sources=["DIC", " MOLSW", ""])
    assert key.startswith(f"llk_{key_id}_")
    row = con.execute("SELECT * FROM api_keys").fetchall()[0]
    assert key not in repr(row) and key.split("_", 2)[2] not in repr(row)
    principal = auth.key_principal(con, key)
    assert principal == Principal("key", key_id, "system", frozenset({"DIC", "MOLSW"}))
    assert principal.actor == f"key:{key_id}"
    assert auth.key_principal(con, key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert auth.key_principal(con, f"llk_{key_id}") is None
    auth.revoke_key(con, key_id)
    assert auth.key_principal(con, key) is None
    with pytest.raises(LaoLinkError, match="already revoked"):
        auth.revoke_key(con, key_id)
    with pytest.raises(LaoLinkError, match="does not exist"):
        auth.revoke_key(con, "nope")
    assert auth.list_keys(con)[0]["sources"] == ["DIC", "MOLSW"]
    with pytest.raises(LaoLinkError, match="at least one source"):
        auth.create_key(con, "nothing", "system", sources=[" ", ""])


# --- masking -------------------------------------------------------------------------------

RECORD = {
    "source": "MOLSW",
    "record_id": "V-0001",
    "role": "victim",
    "full_name": "ນາງ ສົມໃຈ ພົມມະວົງ",
    "given_name": "Somchai",
    "family_name": "Phommavong",
    "given_name_std": "somchai",
    "family_name_std": "phommavong",
    "given_key": "SMX",
    "date_of_birth": "15/03/1998",
    "dob": "1998-03-15",
    "dob_year": 1998,
    "dob_month": 3,
    "phone": "020 5555 1234",
    "phone_e164": "+8562055551234",
    "id_number": "LA1234567",
    "village": "Ban Nongbone",
    "province_code": "VT",
    "sex_code": "F",
}

ANALYST = Principal("user", "a", "analyst")
STEWARD = Principal("user", "s", "steward")
SCOPED = Principal("key", "k", "system", frozenset({"DIC"}))


@pytest.mark.parametrize(
    ("field", "shown"),
    [
        ("full_name", "ນ. ສ. ພ."),
        ("given_name", "S."),
        ("family_name_std", "p."),
        ("given_key", None),
        ("date_of_birth", "1998"),
        ("dob", None),
        ("dob_year", 1998),
        ("dob_month", None),
        ("phone", "***********34"),
        ("phone_e164", "************34"),
        ("id_number", "*******67"),
        ("village", None),
        ("province_code", "VT"),
        ("sex_code", "F"),
        ("record_id", "V-0001"),
    ],
)
def test_analyst_sees_personal_fields_masked(field, shown):
    assert visible_record(RECORD, ANALYST)[field] == shown


def test_steward_and_unscoped_system_see_everything():
    assert visible_record(RECORD, STEWARD) == RECORD
    assert visible_record(RECORD, Principal("key", "k", "system")) == RECORD


def test_scoped_key_sees_only_identifiers_of_other_sources():
    assert visible_record(RECORD, SCOPED) == {"source": "MOLSW", "record_id": "V-0001", "role": "victim"}
    own = dict(RECORD, source="DIC")
    assert visible_record(own, SCOPED) == own


@pytest.mark.parametrize(("role", "shown"), [
    ("ຜູ້ເຄາະຮ້າຍ", "ຜູ້ເຄາະຮ້າຍ"), ("returnee", "returnee"),  # role words, as written
    ("sister of Noy, 14, works at the karaoke", None), ("boss", None), ("", None), (None, None),
])
def test_a_scoped_key_sees_another_sources_role_only_when_it_is_a_role_word(role, shown):
    """A role no role word reads is stored (never quarantined): what a source wrote there may be any text, which a key
    limited to other sources must not read."""
    assert visible_record(dict(RECORD, role=role), SCOPED) == {"source": "MOLSW", "record_id": "V-0001", "role": shown}
    assert visible_record(dict(RECORD, role=role, source="DIC"), SCOPED)["role"] == role  # its own source's: as is


def test_source_scope_limits_keys_of_any_role():
    scoped_steward = Principal("key", "k2", "steward", frozenset({"DIC"}))
    assert visible_record(RECORD, scoped_steward) == {"source": "MOLSW", "record_id": "V-0001", "role": "victim"}
    scoped_analyst = Principal("key", "k3", "analyst", frozenset({"MOLSW"}))
    assert visible_record(RECORD, scoped_analyst)["given_name"] == "S."


def test_masking_leaves_missing_fields_alone():
    assert masked_record({"source": "A", "full_name": None, "phone": ""}) == {"source": "A", "full_name": None,
                                                                             "phone": ""}


@given(st.text(min_size=1, max_size=30))
def test_last_two_never_shows_more_than_two_characters(value):
    shown = last_two(value)
    assert len(shown) == len(value)
    assert sum(1 for a, b in zip(shown, value, strict=True) if a == b and a != "*") <= 2


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Z", "C")), min_size=1), min_size=1))
def test_initials_keep_one_letter_per_word(words):
    result = initials(" ".join(words))
    assert result.split() == [f"{w[0]}." for w in words]


# ---------------------------------------------------------------- issue #20 row 5: change, reset, one-time passwords


def _session_of(con, username: str, password: str) -> tuple[str, Principal]:
    auth.authenticate(con, username, password, address=None, policy=POLICY)
    token, _ = auth.create_session(con, username, lifetime=timedelta(hours=1))
    return token, auth.session_principal(con, token)


def test_a_password_set_for_someone_else_is_one_time_until_they_change_it(con):
    auth.add_user(con, "noy", "steward", PASSWORD)
    token, principal = _session_of(con, "noy", PASSWORD)
    assert principal.must_change_password
    other, _ = _session_of(con, "noy", PASSWORD)
    new = "a river of paper boats"
    auth.change_password(con, "noy", PASSWORD, new, address=None, policy=POLICY, session_token=token)
    assert not auth.session_principal(con, token).must_change_password  # this session goes on, now unrestricted
    assert auth.session_principal(con, other) is None  # every other session of the user ends
    with pytest.raises(AuthError):
        auth.authenticate(con, "noy", PASSWORD, address=None, policy=POLICY)
    assert auth.authenticate(con, "noy", new, address=None, policy=POLICY).name == "noy"
    assert [u["one_time_login"] for u in auth.list_users(con)] == [False]


def test_a_password_change_checks_the_current_password_and_the_policy(con):
    auth.add_user(con, "noy", "steward", PASSWORD)
    with pytest.raises(AuthError):
        auth.change_password(con, "noy", "not the password", "a river of paper boats", address=None, policy=POLICY)
    for weak, problem in (("aaaaaaaaaaaa", "different"), ("123456789012", "commonest"),
                          ("\u200b" * 12, "invisible"), (PASSWORD, "differ")):
        with pytest.raises(LaoLinkError, match=problem):
            auth.change_password(con, "noy", PASSWORD, weak, address=None, policy=POLICY)
    for _ in range(POLICY.max_failures):  # a wrong current password counts toward the lock-out, as a log-in does
        with pytest.raises(AuthError):
            auth.change_password(con, "noy", "guess " * 3, "a river of paper boats", address=None, policy=POLICY)
    with pytest.raises(AuthError) as refused:
        auth.change_password(con, "noy", PASSWORD, "a river of paper boats", address=None, policy=POLICY)
    assert refused.value.locked_out


def test_a_reset_by_an_admin_is_one_time_and_ends_every_session(con):
    auth.add_user(con, "noy", "steward", PASSWORD, one_time=False)
    token, principal = _session_of(con, "noy", PASSWORD)
    assert not principal.must_change_password
    given_password = auth.reset_password(con, "noy")
    assert len(given_password) >= auth.MIN_PASSWORD_LENGTH
    assert auth.session_principal(con, token) is None
    assert auth.session_principal(con, _session_of(con, "noy", given_password)[0]).must_change_password
    assert auth.reset_password(con, "noy", "a river of paper boats") == "a river of paper boats"
    with pytest.raises(LaoLinkError, match="commonest"):
        auth.reset_password(con, "noy", "123456789012")
    with pytest.raises(LaoLinkError, match="does not exist"):
        auth.reset_password(con, "nobody")
    auth.disable_user(con, "noy")
    with pytest.raises(LaoLinkError, match="disabled"):
        auth.reset_password(con, "noy")
