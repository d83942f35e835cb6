"""Sign-in and sign-out pages, and the redirect a page without a session gets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rag_service.console.auth import COOKIE, ContainerDep, same_origin
from rag_service.console.errors import ConsoleRoute, install_http_errors
from rag_service.console.templating import render, text_of
from rag_service.service.access import SESSION_SECONDS, retry_after

router = APIRouter(
    prefix="/console", include_in_schema=False, dependencies=[Depends(same_origin)], route_class=ConsoleRoute
)


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request) -> Response:
    return render(request, "signin.html", user=None, error=None)


@router.post("/signin")
def signin(request: Request, c: ContainerDep, key: Annotated[str, Form(max_length=512)]) -> Response:
    """Ten tries a minute per client address: keys cannot be guessed at speed."""
    wait = c.access.throttle(f"console-signin-{request.client.host if request.client else '?'}", 10)
    if wait:
        return render(request, "signin.html", status_code=429, user=None, headers={"Retry-After": retry_after(wait)},
                      error=text_of(request)("signin.throttled", seconds=retry_after(wait)))  # fmt: skip
    token = c.access.sign_in(key)
    if token is None:
        return render(request, "signin.html", status_code=401, user=None, error=text_of(request).raw("signin.invalid"))
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        COOKIE, token, max_age=SESSION_SECONDS, httponly=True, samesite="strict",
        secure=request.url.scheme == "https", path="/console",
    )  # fmt: skip
    return response


@router.post("/signout")
def signout(request: Request, c: ContainerDep) -> Response:
    c.access.sessions.end(request.cookies.get(COOKIE))
    response = RedirectResponse("/console/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


def install(app: FastAPI) -> None:
    """Mount the console's routers on the service's app, with the console's error page."""
    from rag_service.console import corpus, editions, jobs, playground

    install_http_errors(app)
    for r in (router, corpus.router, jobs.router, editions.router, playground.router):
        app.include_router(r)
