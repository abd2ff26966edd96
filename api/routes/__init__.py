"""One module per resource; each defines ``router`` and is listed in ``api.app.ROUTE_MODULES``."""
