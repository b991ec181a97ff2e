"""A local server that speaks the OpenAI and Anthropic HTTP APIs, for tests over real HTTP.

It serves `POST /v1/chat/completions` (OpenAI) and `POST /v1/messages` (Anthropic) on
127.0.0.1 with a free port, from uvicorn in a background thread. Answers come from a
script you queue or from a handler function; failures can be injected (HTTP errors with
`retry-after`, delays past the client's timeout, tool-call arguments that are not JSON,
a garbage body). Every request body is recorded so tests can assert what the SDK sent::

    from earned.models import allow_model_requests, infer_model
    from earned.testing.model_server import Answer, Failure, ModelServer

    with ModelServer(["hello", Failure(status=503)]) as server:
        model = infer_model(server.openai_spec("my-model"))
        with allow_model_requests():
            response = await model.request([UserMessage(content="hi")])
        assert server.requests[0].body["messages"][0]["content"] == "hi"

Streaming is not supported.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self, cast

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from earned.messages import AssistantMessage, ModelResponse, ToolCall

__all__ = [
    "Answer",
    "Api",
    "Failure",
    "Garbage",
    "Handler",
    "ModelServer",
    "ReceivedRequest",
    "Reply",
]

#: Which provider API a request came in on.
Api = Literal["openai", "anthropic"]


@dataclass(frozen=True, kw_only=True)
class ReceivedRequest:
    """One request the server received: which API, its path, headers and JSON body."""

    api: Api
    path: str
    headers: Mapping[str, str]
    body: dict[str, Any]

    @property
    def model(self) -> str:
        """The model name the client asked for."""
        return str(self.body.get("model", ""))

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The `messages` the client sent, as JSON."""
        return list(self.body.get("messages", []))

    @property
    def tools(self) -> list[dict[str, Any]]:
        """The `tools` the client offered, as JSON."""
        return list(self.body.get("tools", []))

    @property
    def tool_names(self) -> list[str]:
        """Names of the offered tools (either API's shape)."""
        return [t.get("function", t).get("name", "") for t in self.tools]

    @property
    def api_key(self) -> str | None:
        """The key the client sent (`x-api-key`, or an `Authorization: Bearer` token)."""
        key = self.headers.get("x-api-key")
        if key is None and self.headers.get("authorization", "").startswith("Bearer "):
            key = self.headers["authorization"].removeprefix("Bearer ")
        return key

    @property
    def forced_tool(self) -> str | None:
        """The tool the client forced the model to call (Anthropic `tool_choice`), if any."""
        choice = self.body.get("tool_choice")
        if isinstance(choice, dict) and choice.get("type") == "tool":
            return str(cast(dict[str, Any], choice).get("name"))
        return None


@dataclass(frozen=True, kw_only=True)
class Answer:
    """A successful answer: text, tool calls, structured data, usage and the model version.

    `tool_calls` are earned ToolCalls (see `earned.testing.tool_call`); one with
    `raw_arguments` is sent with exactly that string as its arguments, JSON or not.
    `data` is a structured answer: JSON text on OpenAI; on Anthropic the input of a call
    to the forced output tool (or the last offered tool). `model` defaults to the name
    the client asked for; `delay` waits that many seconds before answering.
    """

    text: str | None = None
    tool_calls: Sequence[ToolCall] = ()
    data: Any = None
    input_tokens: int = 10
    output_tokens: int = 5
    model: str | None = None
    finish_reason: str | None = None
    delay: float = 0.0


@dataclass(frozen=True, kw_only=True)
class Failure:
    """An HTTP error in the provider's error shape; `retry_after` sets the header (seconds)."""

    status: int = 500
    message: str | None = None
    retry_after: float | None = None
    delay: float = 0.0


@dataclass(frozen=True, kw_only=True)
class Garbage:
    """A body no client can read (by default a 200 whose JSON is cut off)."""

    body: str = '{"id": "chatcmpl-garbage", "choices": [{'
    status: int = 200
    content_type: str = "application/json"
    delay: float = 0.0


#: What a script step or a handler may return: an Answer, Failure or Garbage, a string
#: (final text), or a ModelResponse / AssistantMessage (as built for ScriptedModel).
Reply = Answer | Failure | Garbage | str | ModelResponse | AssistantMessage

#: Computes the reply to a request (may be async; runs on the server's thread).
Handler = Callable[[ReceivedRequest], "Reply | Awaitable[Reply]"]

_ERROR_TYPES: Mapping[int, tuple[str, str]] = {
    400: ("invalid_request_error", "invalid_request_error"),
    401: ("invalid_api_key", "authentication_error"),
    403: ("permission_denied", "permission_error"),
    404: ("model_not_found", "not_found_error"),
    429: ("rate_limit_exceeded", "rate_limit_error"),
    529: ("server_error", "overloaded_error"),
}


_REQUEST_IDS = itertools.count(1)


class ModelServer:
    """Serves OpenAI and Anthropic APIs from a script, on 127.0.0.1 and a free port.

    Use it as a context manager (`with ModelServer(script) as server:`) or call
    `start()` and `stop()`. Replies are used in order; when the script is empty the
    `handler` answers; with neither, the request gets an HTTP 400 that says so and is
    kept in `unexpected`. `api_key`, when set, is required (HTTP 401 otherwise).
    """

    def __init__(
        self,
        script: Iterable[Reply | Handler] = (),
        *,
        handler: Handler | None = None,
        api_key: str | None = None,
    ) -> None:
        self._script: list[Reply | Handler] = list(script)
        self.handler = handler
        self.api_key = api_key
        self.requests: list[ReceivedRequest] = []
        self.unexpected: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Start serving in a background thread; returns once the port accepts connections."""
        if self._server is not None:
            raise RuntimeError("this ModelServer is already running")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(self._app(), lifespan="off", log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        self._server = server
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="earned-model-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError("the ModelServer did not start; see the log above")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving (delayed answers are cut short) and wait for the thread to end."""
        if self._server is None or self._thread is None:
            return
        self._stopping.set()
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the server listens on (after `start()`)."""
        if self._port is None:
            raise RuntimeError("start the ModelServer (or enter its `with` block) first")
        return self._port

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`: the Anthropic SDK's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """`http://127.0.0.1:PORT/v1`: the OpenAI SDK's base URL."""
        return f"{self.base_url}/v1"

    def openai_spec(self, model: str = "test-model") -> str:
        """The registry string of `model` on this server: `openai-compatible:URL#MODEL`."""
        return f"openai-compatible:{self.openai_base_url}#{model}"

    # --- script ------------------------------------------------------------------------------

    def add(self, *replies: Reply | Handler) -> None:
        """Queue replies (or per-request handler functions) at the end of the script."""
        with self._lock:
            self._script.extend(replies)

    def reset(self) -> None:
        """Forget the script, handler, required key and recorded requests (keeps serving).

        Lets one running server be shared by many tests (e.g. a session-scoped fixture
        that resets it for each test).
        """
        with self._lock:
            self._script.clear()
            self.handler = None
            self.api_key = None
            self.requests.clear()
            self.unexpected.clear()
            self._ids = itertools.count(1)

    @property
    def remaining(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._script)

    @property
    def last_request(self) -> ReceivedRequest:
        """The most recent request received."""
        with self._lock:
            if not self.requests:
                raise AssertionError("the ModelServer has not received any request")
            return self.requests[-1]

    def assert_complete(self) -> None:
        """Fail when scripted replies are left over or a request found the script empty."""
        with self._lock:
            if self.unexpected:
                raise AssertionError(
                    f"{len(self.unexpected)} request(s) arrived after the script ran out; "
                    f"first: {self.unexpected[0].body!r:.300}"
                )
            if self._script:
                raise AssertionError(f"{len(self._script)} scripted reply(s) were never used")

    # --- serving -----------------------------------------------------------------------------

    def _app(self) -> Starlette:
        async def openai_endpoint(request: Request) -> Response:
            return await self._serve("openai", request)

        async def anthropic_endpoint(request: Request) -> Response:
            return await self._serve("anthropic", request)

        return Starlette(
            routes=[
                Route("/v1/chat/completions", openai_endpoint, methods=["POST"]),
                Route("/v1/messages", anthropic_endpoint, methods=["POST"]),
            ]
        )

    async def _serve(self, api: Api, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error_response(api, 400, "the request body is not JSON")
        if not isinstance(body, dict):
            return _error_response(api, 400, "the request body is not a JSON object")
        received = ReceivedRequest(
            api=api,
            path=request.url.path,
            headers=dict(request.headers),
            body=cast(dict[str, Any], body),
        )
        with self._lock:
            self.requests.append(received)
        problem = self._check(received)
        if problem is not None:
            return problem
        reply = await self._next_reply(received)
        if reply is None:
            return _error_response(
                api,
                400,
                f"earned ModelServer: no reply scripted for request #{len(self.requests)} "
                f"({received.path}); queue one with server.add(...) or pass handler=",
            )
        await self._sleep(getattr(reply, "delay", 0.0))
        return self._render(received, reply)

    def _check(self, received: ReceivedRequest) -> Response | None:
        """Reject what the real API would reject: a wrong key, a missing field."""
        api = received.api
        if self.api_key is not None and received.api_key != self.api_key:
            return _error_response(api, 401, "Incorrect API key provided")
        required = ["model", "messages"] + (["max_tokens"] if api == "anthropic" else [])
        missing = [name for name in required if name not in received.body]
        if missing:
            return _error_response(api, 400, f"missing required field(s): {', '.join(missing)}")
        return None

    async def _next_reply(self, received: ReceivedRequest) -> Reply | None:
        with self._lock:
            step: Reply | Handler | None = self._script.pop(0) if self._script else self.handler
            if step is None:
                self.unexpected.append(received)
                return None
        if callable(step):
            result = step(received)
            if inspect.isawaitable(result):
                result = await result
            return result
        return step

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake early when the server is stopping."""
        deadline = time.monotonic() + seconds
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(left, 0.05))

    def _render(self, received: ReceivedRequest, reply: Reply) -> Response:
        if isinstance(reply, Failure):
            return _error_response(
                received.api, reply.status, reply.message, retry_after=reply.retry_after
            )
        if isinstance(reply, Garbage):
            return Response(reply.body, status_code=reply.status, media_type=reply.content_type)
        answer = _as_answer(reply)
        number = next(self._ids)
        if received.api == "openai":
            return JSONResponse(_openai_body(received, answer, number))
        return JSONResponse(_anthropic_body(received, answer, number))


def _as_answer(reply: Answer | str | ModelResponse | AssistantMessage) -> Answer:
    if isinstance(reply, Answer):
        return reply
    if isinstance(reply, str):
        return Answer(text=reply)
    if isinstance(reply, AssistantMessage):
        return Answer(text=reply.content, tool_calls=reply.tool_calls)
    return Answer(
        text=reply.message.content,
        tool_calls=reply.message.tool_calls,
        input_tokens=reply.usage.input_tokens,
        output_tokens=reply.usage.output_tokens,
        finish_reason=reply.finish_reason,
    )


def _error_response(
    api: Api, status: int, message: str | None, *, retry_after: float | None = None
) -> JSONResponse:
    openai_code, anthropic_type = _ERROR_TYPES.get(
        status,
        ("server_error", "api_error") if status >= 500 else ("error", "invalid_request_error"),
    )
    message = message or f"simulated HTTP {status} from the earned ModelServer"
    if api == "openai":
        error_type = "invalid_request_error" if status < 500 else "server_error"
        body: dict[str, Any] = {
            "error": {"message": message, "type": error_type, "param": None, "code": openai_code}
        }
    else:
        body = {"type": "error", "error": {"type": anthropic_type, "message": message}}
    request_id = f"req_{next(_REQUEST_IDS)}"
    headers = {"x-request-id" if api == "openai" else "request-id": request_id}
    if retry_after is not None:
        headers["retry-after"] = f"{retry_after:g}"
    return JSONResponse(body, status_code=status, headers=headers)


def _arguments(call: ToolCall) -> str:
    return call.raw_arguments if call.raw_arguments is not None else json.dumps(call.arguments)


def _openai_body(received: ReceivedRequest, answer: Answer, number: int) -> dict[str, Any]:
    content = json.dumps(answer.data) if answer.data is not None else answer.text
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if answer.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": _arguments(call)},
            }
            for call in answer.tool_calls
        ]
    finish = answer.finish_reason or ("tool_calls" if answer.tool_calls else "stop")
    return {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": answer.model or received.model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": answer.input_tokens,
            "completion_tokens": answer.output_tokens,
            "total_tokens": answer.input_tokens + answer.output_tokens,
        },
    }


def _anthropic_body(received: ReceivedRequest, answer: Answer, number: int) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if answer.text:
        content.append({"type": "text", "text": answer.text})
    calls = list(answer.tool_calls)
    if answer.data is not None:
        output_tool = received.forced_tool or (received.tool_names or [None])[-1]
        if output_tool is None:
            content.append({"type": "text", "text": json.dumps(answer.data)})
        else:
            content.append(
                {
                    "type": "tool_use",
                    "id": f"toolu_out_{number}",
                    "name": output_tool,
                    "input": answer.data,
                }
            )
    for call in calls:
        raw = call.raw_arguments
        tool_input: Any = call.arguments if raw is None else raw
        content.append({"type": "tool_use", "id": call.id, "name": call.name, "input": tool_input})
    uses_tool = any(block["type"] == "tool_use" for block in content)
    return {
        "id": f"msg_{number:024d}",
        "type": "message",
        "role": "assistant",
        "model": answer.model or received.model,
        "content": content,
        "stop_reason": answer.finish_reason or ("tool_use" if uses_tool else "end_turn"),
        "stop_sequence": None,
        "usage": {"input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens},
    }
