"""One module per resource; each defines ``router``, imported by ``api.app``.

Routers that need a credential are listed in ``api.app.PROTECTED_ROUTERS`` (mounted under /api/v1).
"""
