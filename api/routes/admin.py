"""Admin: users and API keys (the same operations as `laolink users` / `laolink keys`), every change audited."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import ServiceDb, audit, role_dependency
from api.errors import ApiError
from api.schemas import CreatedKey, KeyInfo, NewKey, NewUser, PasswordReset, ResetPassword, UserInfo
from linkage.errors import LaoLinkError
from linkage.service import auth

router = APIRouter(prefix="/admin", tags=["admin"])
AdminOnly = role_dependency("admin")


@router.get("/users", response_model=list[UserInfo])
def list_users(_: AdminOnly, con: ServiceDb):
    """Every user with role and state (never a password hash)."""
    return auth.list_users(con)


@router.post("/users", response_model=UserInfo, status_code=201)
def add_user(
    body: NewUser,
    request: Request,
    principal: AdminOnly,
    con: ServiceDb,
):
    """Add a user with a one-time password the admin hands over in person (changed at first log-in)."""
    try:
        auth.add_user(con, body.username, body.role, body.password, created_by=principal.actor)
    except LaoLinkError as exc:
        raise ApiError(409 if "exists" in str(exc) else 422, str(exc), field="username") from exc
    audit(request, "user.add", status=201, detail={"username": body.username, "role": body.role})
    return next(u for u in auth.list_users(con) if u["username"] == body.username)


@router.post("/users/{username}/disable", response_model=UserInfo)
def disable_user(
    username: str,
    request: Request,
    _: AdminOnly,
    con: ServiceDb,
):
    """Disable a user; their sessions end at once."""
    try:
        auth.disable_user(con, username)
    except LaoLinkError as exc:
        raise ApiError(404 if "does not exist" in str(exc) else 409, str(exc), field="username") from exc
    audit(request, "user.disable", detail={"username": username})
    return next(u for u in auth.list_users(con) if u["username"] == username)


@router.post("/users/{username}/password", response_model=ResetPassword)
def reset_password(
    username: str,
    request: Request,
    _: AdminOnly,
    con: ServiceDb,
    body: PasswordReset | None = None,
):
    """Reset a user's password to a one-time one (given, or random when left out; the answer shows it once);
    every session of the user ends and they must change it at their next log-in."""
    try:
        password = auth.reset_password(con, username, body.password if body else None)
    except auth.PasswordRefused as exc:
        raise ApiError(422, str(exc), field="password") from exc
    except LaoLinkError as exc:
        raise ApiError(404 if "does not exist" in str(exc) else 409, str(exc), field="username") from exc
    audit(request, "user.reset_password", detail={"username": username})
    return ResetPassword(username=username, password=password)


@router.get("/keys", response_model=list[KeyInfo])
def list_keys(_: AdminOnly, con: ServiceDb):
    """Every API key's id, name, role, scope and state (never the key)."""
    return auth.list_keys(con)


@router.post("/keys", response_model=CreatedKey, status_code=201)
def create_key(
    body: NewKey,
    request: Request,
    principal: AdminOnly,
    con: ServiceDb,
):
    """Create an API key; the answer is the only time the key is shown."""
    try:
        key_id, key = auth.create_key(con, body.name, body.role, sources=body.sources, created_by=principal.actor)
    except LaoLinkError as exc:
        raise ApiError(422, str(exc), field="sources" if "source" in str(exc) else "name") from exc
    audit(request, "key.create", status=201, detail={"key_id": key_id, "role": body.role, "sources": body.sources})
    return CreatedKey(key_id=key_id, key=key)


@router.post("/keys/{key_id}/revoke", response_model=KeyInfo)
def revoke_key(
    key_id: str,
    request: Request,
    _: AdminOnly,
    con: ServiceDb,
):
    """Revoke a key; it is refused from the next request on."""
    try:
        auth.revoke_key(con, key_id)
    except LaoLinkError as exc:
        raise ApiError(404 if "does not exist" in str(exc) else 409, str(exc), field="key_id") from exc
    audit(request, "key.revoke", detail={"key_id": key_id})
    return next(k for k in auth.list_keys(con) if k["key_id"] == key_id)
