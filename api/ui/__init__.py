"""The web console at /ui/, and /docs and /redoc with assets served by the app.

``mount(app)`` is all the app does for it: the console's routes are left out of the
OpenAPI document, and every page reads and acts through the API's own routes.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

STATIC = Path(__file__).with_name("static")
# Swagger UI and ReDoc as the fastapi-offline wheel ships them (pinned by the lock).
DOCS_ASSETS = Path(str(files("fastapi_offline"))) / "static"
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

_docs = Environment(
    loader=PackageLoader("api.ui", "templates"), autoescape=select_autoescape(["html"])
)


def _docs_page(name: str, title: str) -> Response:
    html = _docs.get_template(name).render(title=title)
    response = HTMLResponse(html)
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


# ReDoc's sidebar shows a logo from its makers' CDN: the same file, pointing at ours.
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


def _redoc_script() -> bytes:
    return (
        (DOCS_ASSETS / "redoc.standalone.js")
        .read_bytes()
        .replace(REDOC_LOGO, b"/ui/static/favicon.svg")
    )


def mount(app: FastAPI) -> None:
    from api.ui import pages

    redoc_script = _redoc_script()

    @app.get("/docs-assets/redoc.standalone.js", include_in_schema=False)
    def redoc_standalone() -> Response:
        return Response(redoc_script, media_type="text/javascript")

    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    app.mount("/docs-assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> Response:
        return _docs_page("swagger.html", f"{app.title} - Swagger UI")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> Response:
        return _docs_page("redoc.html", f"{app.title} - ReDoc")

    @app.get("/", include_in_schema=False)
    def root(request: Request) -> Response:
        return RedirectResponse("/ui/", status_code=307)

    @app.get("/ui", include_in_schema=False)
    def ui_root() -> Response:
        return RedirectResponse("/ui/", status_code=307)

    app.include_router(pages.router)
