"""HTTP errors: every failure is a JSON body `{"error": {"type", "message", "fix", ...}}`.

The hierarchy, drawn::

    EarnedError
     └── ApiError            an HTTP error with a status; `fix` says what to do
          ├── BadRequest        400: a request that cannot be served as sent
          ├── Unauthenticated   401: no token, or one that is unknown, revoked or expired
          ├── Forbidden         403: the token's role may not do this
          ├── NotFound          404: no such object, or one of another tenant (same answer)
          ├── Conflict          409: the object's state refuses it (decided, expired, ...)
          ├── PayloadTooLarge   413: the body is over the server's limit
          └── Unavailable       503: the server cannot serve this yet (not ready, no engine)

Errors raised by earned's core are mapped too: a missing run or review item is a 404,
an approval the integrity checks refuse is a 409 (a 403 for role and self-approval), any
other `UserError` is a 400. Request validation errors are 422 with one line per problem.
Anything else is a 500 whose body says only that it is a bug (the log has the traceback).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from earned.errors import EarnedError, RunNotFoundError, UserError

__all__ = [
    "ERROR_RESPONSES",
    "ApiError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "Unauthenticated",
    "Unavailable",
    "error_body",
    "install_error_handlers",
]

logger = logging.getLogger("earned.server")


class ApiError(EarnedError):
    """An error with an HTTP status; `details['fix']` says how to fix the request."""

    status: ClassVar[int] = 400
    headers: ClassVar[dict[str, str]] = {}


class BadRequest(ApiError):
    """400: the request cannot be served as sent."""


class Unauthenticated(ApiError):
    """401: no token, or an unknown, revoked or expired one."""

    status = 401
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(ApiError):
    """403: the token's role may not do this."""

    status = 403


class NotFound(ApiError):
    """404: no such object, or an object of another tenant (the answer is the same)."""

    status = 404


class Conflict(ApiError):
    """409: the object's state refuses the request."""

    status = 409


class PayloadTooLarge(ApiError):
    """413: the request body is larger than the server accepts."""

    status = 413


class Unavailable(ApiError):
    """503: the server cannot serve this (not ready yet, or no agents to run)."""

    status = 503


class ErrorDetail(BaseModel):
    """What went wrong and how to fix it."""

    type: str
    message: str
    fix: str | None = None
    details: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


#: The error statuses every route documents in the OpenAPI schema, all with `ErrorBody`.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": words}
    for status, words in (
        (400, "The request cannot be served as sent."),
        (401, "No token, or an unknown, revoked or expired one."),
        (403, "The token's role may not do this."),
        (404, "No such object (or another tenant's)."),
        (405, "Wrong method."),
        (409, "The object's state refuses it."),
        (413, "The body is too large."),
        (422, "The request is not valid; one problem per line."),
        (503, "Not ready, or no agents to run."),
    )
}

#: The fix of a core error that names none (its message says what was wrong and how).
_DEFAULT_FIX = "change the request as the message says; GET /openapi.json describes it"
#: Integrity checks of approvals and reviews that mean "not allowed", not "not now".
_FORBIDDEN_CHECKS = {"role", "self_approval"}
#: Review checks that mean "the request is incomplete" rather than "the state refuses it".
_INVALID_CHECKS = {"edit", "reason_code", "note"}


def error_body(kind: str, message: str, fix: str | None, /, **details: Any) -> dict[str, Any]:
    """The JSON body of every error response."""
    body: dict[str, Any] = {"type": kind, "message": message, "fix": fix}
    if details:
        body["details"] = details
    return {"error": body}


def _response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return JSONResponse(body, status_code=status, headers=headers)


def _status_of(exc: EarnedError) -> int:
    from earned.review import ItemNotFound

    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, RunNotFoundError | ItemNotFound):
        return 404
    check = exc.details.get("check")
    if isinstance(check, str):
        if check in _FORBIDDEN_CHECKS:
            return 403
        if check == "tenant":
            return 404
        return 422 if check in _INVALID_CHECKS else 409
    return 400 if isinstance(exc, UserError) else 500


def _earned_error(_request: Request, exc: Exception) -> Any:
    assert isinstance(exc, EarnedError)
    status = _status_of(exc)
    if status >= 500 and not isinstance(exc, ApiError):
        return _internal(_request, exc)
    data = exc.to_dict()["details"]
    fix = data.pop("fix", None) or _DEFAULT_FIX
    if status == 404:
        data = {}  # the same answer for "missing" and "another tenant's"
    kind = type(exc).__name__
    headers = exc.headers if isinstance(exc, ApiError) else None
    return _response(status, error_body(kind, exc.message, fix, **data), headers)


def _validation_error(_request: Request, exc: Exception) -> Any:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ())) or "request"
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    message = "the request is not valid: " + "; ".join(problems[:10])
    fix = "correct the fields named above; GET /openapi.json describes every request"
    body = error_body("ValidationError", message, fix, problems=problems[:50])
    return _response(422, body)


def _http_error(_request: Request, exc: Exception) -> Any:
    assert isinstance(exc, StarletteHTTPException)
    fixes = {
        400: "send a well-formed JSON body (nested at most 64 levels) as /openapi.json says",
        404: "check the path; GET /openapi.json lists every endpoint",
        405: "check the method; GET /openapi.json lists what each path accepts",
        413: "send a smaller body; large datasets belong in files, not requests",
    }
    kinds = {400: "BadRequest", 404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}
    message = str(exc.detail) if exc.detail else "request failed"
    kind = kinds.get(exc.status_code, "HTTPError")
    body = error_body(kind, message, fixes.get(exc.status_code, _DEFAULT_FIX))
    return _response(exc.status_code, body, dict(exc.headers or {}))


def _too_deep(_request: Request, _exc: Exception) -> Any:
    body = error_body(
        "BadRequest",
        "the JSON body is nested too deeply to read",
        "send a JSON document nested fewer than a few hundred levels",
    )
    return _response(400, body)


def _internal(request: Request, exc: Exception) -> Any:
    logger.error("internal error serving %s %s", request.method, request.url.path, exc_info=exc)
    body = error_body(
        "InternalError",
        "the server failed while serving this request; this is a bug in earned",
        "retry later, and report it with the server log's traceback",
    )
    return _response(500, body)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into the JSON error body."""
    app.add_exception_handler(EarnedError, _earned_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RecursionError, _too_deep)
    app.add_exception_handler(Exception, _internal)
