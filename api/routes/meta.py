"""The OpenAPI document, served to any authenticated principal (the API surface is not public)."""

from __future__ import annotations

from fastapi import APIRouter, Request

router = APIRouter(tags=["meta"])


@router.get("/openapi.json", include_in_schema=False)
def openapi_document(request: Request) -> dict:
    return request.app.openapi()
