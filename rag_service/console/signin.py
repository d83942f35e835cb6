"""Sign-in and sign-out pages, and the redirect a page without a session gets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag_service.api.security import ApiKey, retry_after
from rag_service.console.auth import COOKIE, SESSION_SECONDS, NeedsSignIn, same_origin, sessions, sign_in
from rag_service.console.templating import render

router = APIRouter(prefix="/console", include_in_schema=False, dependencies=[Depends(same_origin)])


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request) -> Response:
    return render(request, "signin.html", user=None, error=None)


@router.post("/signin")
def signin(request: Request, key: Annotated[str, Form(max_length=512)]) -> Response:
    """Ten tries a minute per client address: keys cannot be guessed at speed."""
    client = ApiKey(id=f"console-signin-{request.client.host if request.client else '?'}", key="", per_minute=10)
    wait = request.app.state.limiter.take(client)
    if wait:
        return render(request, "signin.html", status_code=429, user=None, headers={"Retry-After": retry_after(wait)},
                      error=f"サインインの試行が多すぎます: retry in {retry_after(wait)} s")  # fmt: skip
    token = sign_in(request, key)
    if token is None:
        return render(request, "signin.html", status_code=401, user=None, error="このキーは使えません (invalid key)")
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        COOKIE, token, max_age=SESSION_SECONDS, httponly=True, samesite="strict",
        secure=request.url.scheme == "https", path="/console",
    )  # fmt: skip
    return response


@router.post("/signout")
def signout(request: Request) -> Response:
    sessions(request).end(request.cookies.get(COOKIE))
    response = RedirectResponse("/console/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


def install(app: FastAPI) -> None:
    """Mount the console's routers on the API app; a page without a session redirects to the sign-in page."""
    from rag_service.console import corpus, playground

    async def to_signin(request: Request, exc: Exception) -> Response:
        return RedirectResponse("/console/signin", status_code=303)

    async def http_error(request: Request, exc: Exception) -> Response:
        """A browser on a console page gets the message as a page; everything else the API's JSON."""
        assert isinstance(exc, StarletteHTTPException)
        browser = "text/html" in request.headers.get("accept", "")
        if request.url.path.startswith("/console") and browser:
            user = getattr(request.state, "console_user", None)
            return render(request, "error.html", status_code=exc.status_code, user=user, status=exc.status_code,
                          detail=exc.detail)  # fmt: skip
        return await http_exception_handler(request, exc)

    app.add_exception_handler(NeedsSignIn, to_signin)
    app.add_exception_handler(StarletteHTTPException, http_error)
    for r in (router, corpus.router, playground.router):
        app.include_router(r)
