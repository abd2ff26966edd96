"""Request and response shapes of the API, kept apart from storage (the OpenAPI document is built from these)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    field: str | None = Field(None, description="the request field at fault, when one is")
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class PrincipalInfo(BaseModel):
    kind: Literal["user", "key"]
    name: str = Field(description="username, or the API key's id")
    role: Literal["admin", "steward", "analyst", "system"]
    sources: list[str] | None = Field(None, description="sources seen in full; null means all")
    csrf_token: str | None = Field(
        None, description="send as X-CSRF-Token header (or csrf_token form field) with every state-changing request"
    )
    must_change_password: bool = Field(
        False, description="a one-time password: only POST /api/v1/auth/password (and me, logout) until changed"
    )


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=1, max_length=1000)


class PasswordReset(BaseModel):
    password: str | None = Field(
        None, max_length=1000, description="the one-time password to set; left out, a random one is made"
    )


class ResetPassword(BaseModel):
    username: str
    password: str = Field(description="one-time: the user must change it at first log-in; hand it over in person")


class HealthResponse(BaseModel):
    status: Literal["ok", "unpublished"]
    version: str | None = Field(None, description="only for an authenticated request")
    published_run_id: int | None = None
    published_at: str | None = None
    counts: dict[str, int] | None = None


class PageInfo(BaseModel):
    page: int
    page_size: int
    total: int | None = None


ERROR_RESPONSES = {
    401: {"model": ErrorResponse, "description": "no valid credential"},
    403: {"model": ErrorResponse, "description": "wrong role, or missing CSRF token"},
    422: {"model": ErrorResponse, "description": "invalid input; names the field"},
}


class UserInfo(BaseModel):
    username: str
    role: Literal["admin", "steward", "analyst", "system"]
    created_at: str
    created_by: str | None = None
    disabled_at: str | None = None
    one_time_login: bool = Field(False, description="the password was set by an admin: to be changed at next log-in")


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    role: Literal["admin", "steward", "analyst", "system"]
    password: str = Field(min_length=12, max_length=1000)


class KeyInfo(BaseModel):
    key_id: str
    name: str
    role: Literal["admin", "steward", "analyst", "system"]
    sources: list[str] | None = None
    created_at: str
    created_by: str | None = None
    revoked_at: str | None = None


class NewKey(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: Literal["admin", "steward", "analyst", "system"] = "system"
    sources: list[str] | None = Field(None, max_length=100, description="sources seen in full; null means all")


class CreatedKey(BaseModel):
    key_id: str
    key: str = Field(description="shown only in this answer; only its hash is stored")
