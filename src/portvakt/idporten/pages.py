"""Server-rendered pages of the login UI: Jinja2 templates, strict headers, no inline script or style."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse, Response

from portvakt.idporten.texts import texts
from portvakt.web.trace import current_trace_id

LANGUAGES: Final = (("nb", "Bokmål"), ("nn", "Nynorsk"), ("en", "English"), ("se", "Sámegiella"))
STATIC: Final = {
    "idporten.css": "text/css; charset=utf-8",
    "form_post.js": "text/javascript; charset=utf-8",
    "logout.js": "text/javascript; charset=utf-8",
}

_templates = Environment(
    loader=PackageLoader("portvakt.idporten", "templates"),
    autoescape=select_autoescape(("html",)),
    auto_reload=False,
)
_static_loader = Environment(  # only get_source: the files are served as they are
    loader=PackageLoader("portvakt.idporten", "static"), autoescape=True, auto_reload=False
)


def source_of(uri: str) -> str:
    """A CSP source expression for a URI: its scheme, host and port."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def csp(*, form_action: Iterable[str] = ("'self'",), frames: Iterable[str] = (), script: bool = False) -> str:
    directives = [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "script-src 'self'" if script else "script-src 'none'",
        f"form-action {' '.join(dict.fromkeys(form_action))}",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
    frame_sources = list(dict.fromkeys(frames))
    if frame_sources:
        directives.append(f"frame-src {' '.join(frame_sources)}")
    return "; ".join(directives)


class Pages:
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def render(
        self,
        template: str,
        locale: str,
        *,
        status_code: int = 200,
        policy: str | None = None,
        switch_path: str | None = None,
        **context: Any,
    ) -> HTMLResponse:
        switch_urls = []
        if switch_path is not None:
            joiner = "&" if "?" in switch_path else "?"
            switch_urls = [(code, label, f"{switch_path}{joiner}lang={code}") for code, label in LANGUAGES]
        html = _templates.get_template(template).render(
            t=texts(locale), locale=locale, issuer=self.issuer, switch_urls=switch_urls, **context
        )
        return HTMLResponse(
            html,
            status_code=status_code,
            headers={
                "Content-Security-Policy": policy or csp(),
                "Cache-Control": "no-store",
                "Pragma": "no-cache",
                "Referrer-Policy": "no-referrer",
            },
        )

    def error(
        self, locale: str, code: str, description: str, *, status_code: int = 400, message: str | None = None
    ) -> HTMLResponse:
        """§10.1: title, the error code, the description and the trace id."""
        return self.render(
            "error.html",
            locale,
            status_code=status_code,
            code=code,
            description=description,
            message=message or texts(locale)["error_title"],
            trace_id=current_trace_id(),
        )


def static_response(name: str) -> Response | None:
    media_type = STATIC.get(name)
    if media_type is None:
        return None
    loader = _static_loader.loader
    assert loader is not None
    source, _path, _uptodate = loader.get_source(_static_loader, name)
    return Response(source, headers={"Content-Type": media_type, "Cache-Control": "public, max-age=3600"})
