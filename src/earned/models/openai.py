"""OpenAI and every OpenAI-compatible server (vLLM, Ollama, llama.cpp) over Chat Completions.

Address a model with a registry string::

    openai:gpt-4.1-mini                                  key from OPENAI_API_KEY
    openai-compatible:http://localhost:8080/v1#my-model  key from OPENAI_COMPATIBLE_API_KEY

The SDK's own retries are off: earned's runtime retries transient errors (429, 5xx,
timeouts, refused connections) with backoff and records each attempt. Every SDK failure
becomes one of earned's typed `ModelError`s, carrying the status code, body and model.
"""

from __future__ import annotations

import asyncio
import json
import os
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Literal, TypeVar, cast

import openai
from openai import AsyncOpenAI, omit
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionAssistantMessageParam,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageFunctionToolCallParam,
    ChatCompletionMessageParam,
)
from openai.types.shared_params import ResponseFormatJSONSchema

from earned.errors import (
    ModelConnectionError,
    ModelError,
    ModelHTTPError,
    ModelNotFoundError,
    ModelResponseError,
    ModelTimeoutError,
    UserError,
)
from earned.messages import (
    AssistantMessage,
    Message,
    ModelResponse,
    ModelSettings,
    OutputSchema,
    SystemMessage,
    ToolCall,
    ToolDefinition,
    Usage,
    UserMessage,
)
from earned.models._base import check_requests_allowed

__all__ = ["OpenAIModel", "openai_compatible_model", "openai_model"]

#: Seconds a request may take when `settings["timeout"]` is not given.
_DEFAULT_TIMEOUT = 60.0

#: Sent as the key to OpenAI-compatible servers that need none (most local servers).
_PLACEHOLDER_API_KEY = "not-needed"

Provider = Literal["openai", "openai-compatible"]


class OpenAIModel:
    """A chat model behind the OpenAI Chat Completions API (`openai` or `openai-compatible`).

    `api_key=None` reads `api_key_env` at request time, so a missing key is reported
    when the model is first used, naming the variable to set. Pass `client` to share an
    `AsyncOpenAI` you manage; otherwise one client is kept per event loop (with the
    SDK's retries off) and `aclose()` closes them.
    """

    def __init__(
        self,
        model_name: str,
        *,
        provider: Provider = "openai",
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        client: AsyncOpenAI | None = None,
    ) -> None:
        self.model_name = model_name
        self.provider: Provider = provider
        self.base_url = base_url
        self._api_key = api_key
        self._api_key_env = api_key_env
        self._clients = _LoopLocal(self._new_client, client)

    @property
    def name(self) -> str:
        """The registry string: `openai:MODEL` or `openai-compatible:BASE_URL#MODEL`."""
        if self.provider == "openai-compatible":
            return f"openai-compatible:{self.base_url}#{self.model_name}"
        return f"openai:{self.model_name}"

    def __repr__(self) -> str:
        return f"OpenAIModel({self.name!r})"

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        output: OutputSchema | None = None,
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        """Send one Chat Completions request; raise a ModelError subclass on failure."""
        check_requests_allowed(self.name)
        settings = settings or ModelSettings()
        client = self._clients.get()
        timeout = settings.get("timeout", _DEFAULT_TIMEOUT)
        max_tokens = settings.get("max_tokens", omit)
        wire_messages = _map_messages(messages)
        wire_tools = [_map_tool(t) for t in tools]
        response_format = _map_output(output) if output is not None else omit
        try:
            completion = await client.chat.completions.create(
                model=self.model_name,
                messages=wire_messages,
                tools=wire_tools or omit,
                response_format=response_format,
                temperature=settings.get("temperature", omit),
                top_p=settings.get("top_p", omit),
                seed=settings.get("seed", omit),
                max_completion_tokens=max_tokens if self.provider == "openai" else omit,
                max_tokens=max_tokens if self.provider == "openai-compatible" else omit,
                timeout=timeout,
            )
        except (openai.OpenAIError, ValueError) as exc:
            raise self._error(exc, timeout) from exc
        return self._response(completion)

    async def aclose(self) -> None:
        """Close the HTTP client this model opened on the running event loop."""
        await self._clients.aclose()

    def _new_client(self) -> AsyncOpenAI:
        api_key = self._api_key or os.environ.get(self._api_key_env)
        if not api_key:
            raise UserError(
                f"{self.name} needs an API key: set the {self._api_key_env} environment "
                "variable (or pass api_key= to OpenAIModel)",
                model=self.name,
                env_var=self._api_key_env,
            )
        return AsyncOpenAI(api_key=api_key, base_url=self.base_url, max_retries=0)

    def _response(self, completion: ChatCompletion | Any) -> ModelResponse:
        if not isinstance(completion, ChatCompletion):
            raise ModelResponseError(
                f"{self.name} answered with something that is not a chat completion; check "
                "that the base URL points at an OpenAI-compatible /v1 endpoint",
                model=self.name,
                base_url=self.base_url,
                body=str(completion)[:2000],
            )
        try:
            return _parse_completion(completion, provider=self.provider, fallback=self.model_name)
        except (AttributeError, TypeError, KeyError, IndexError) as exc:
            raise ModelResponseError(
                f"{self.name} answered with a chat completion earned cannot read ({exc}); "
                "check that the server implements the OpenAI Chat Completions format",
                model=self.name,
                base_url=self.base_url,
                body=_dump(completion),
            ) from exc

    def _error(self, exc: Exception, timeout: float) -> ModelError:
        where = self.base_url or "https://api.openai.com/v1"
        if isinstance(exc, openai.APITimeoutError):
            return _timeout_error(self.name, where, timeout)
        if isinstance(exc, openai.APIConnectionError):
            return _connection_error(self.name, where, exc)
        if isinstance(exc, openai.APIStatusError):
            return _http_error(self.name, exc.status_code, exc.body, exc.response.headers)
        return ModelResponseError(
            f"{self.name} answered with a response earned cannot read "
            f"({type(exc).__name__}: {exc}); check that {where} is an OpenAI-compatible "
            "endpoint",
            model=self.name,
            base_url=where,
        )


# --- requests ------------------------------------------------------------------------------


def _map_messages(messages: Sequence[Message]) -> list[ChatCompletionMessageParam]:
    """earned messages as Chat Completions messages."""
    out: list[ChatCompletionMessageParam] = []
    for message in messages:
        if isinstance(message, SystemMessage):
            out.append({"role": "system", "content": message.content})
        elif isinstance(message, UserMessage):
            out.append({"role": "user", "content": message.content})
        elif isinstance(message, AssistantMessage):
            out.append(_assistant(message))
        else:
            out.append(
                {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
            )
    return out


def _assistant(message: AssistantMessage) -> ChatCompletionAssistantMessageParam:
    param: ChatCompletionAssistantMessageParam = {"role": "assistant", "content": message.content}
    if message.tool_calls:
        param["tool_calls"] = [_tool_call_param(call) for call in message.tool_calls]
    return param


def _tool_call_param(call: ToolCall) -> ChatCompletionMessageFunctionToolCallParam:
    arguments = call.raw_arguments if call.malformed else json.dumps(call.arguments)
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": arguments or ""},
    }


def _map_tool(tool: ToolDefinition) -> ChatCompletionFunctionToolParam:
    """A tool definition as a Chat Completions function tool (strict when the schema allows)."""
    function: dict[str, Any] = {
        "name": tool.name,
        "description": tool.description,
        "parameters": tool.parameters,
    }
    if _strict_compatible(tool.parameters):
        function["strict"] = True
    return cast(ChatCompletionFunctionToolParam, {"type": "function", "function": function})


def _map_output(output: OutputSchema) -> ResponseFormatJSONSchema:
    """An output schema as a `json_schema` response format (strict when the schema allows)."""
    schema: dict[str, Any] = {
        "name": output.name,
        "schema": output.schema_,
        "strict": _strict_compatible(output.schema_),
    }
    if output.description:
        schema["description"] = output.description
    return cast(ResponseFormatJSONSchema, {"type": "json_schema", "json_schema": schema})


#: Keywords OpenAI's strict mode rejects.
_STRICT_UNSUPPORTED = frozenset(
    {
        "allOf",
        "contains",
        "default",
        "dependentRequired",
        "dependentSchemas",
        "else",
        "if",
        "maxProperties",
        "minProperties",
        "not",
        "oneOf",
        "patternProperties",
        "prefixItems",
        "propertyNames",
        "then",
        "unevaluatedProperties",
    }
)


def _strict_compatible(schema: object) -> bool:
    """True when OpenAI's strict mode accepts `schema` as it is.

    Strict mode needs every object closed (`additionalProperties: false`) with every
    property required, and none of the keywords it does not support.
    """
    if not isinstance(schema, dict):
        return True
    node = cast(dict[str, Any], schema)
    if _STRICT_UNSUPPORTED & node.keys():
        return False
    properties = cast(dict[str, Any], node.get("properties", {}))
    if node.get("type") == "object" or "properties" in node:
        closed = node.get("additionalProperties") is False
        if not closed or set(node.get("required", ())) != set(properties):
            return False
    children: list[Any] = [node.get("items"), *properties.values()]
    children += cast(list[Any], node.get("anyOf", []))
    for key in ("$defs", "definitions"):
        children += cast(dict[str, Any], node.get(key, {})).values()
    return all(_strict_compatible(child) for child in children)


# --- responses -----------------------------------------------------------------------------


def _parse_completion(
    completion: ChatCompletion, *, provider: str, fallback: str = ""
) -> ModelResponse:
    """A chat completion as an earned ModelResponse (first choice)."""
    if not completion.choices:
        raise IndexError("the completion has no choices")
    choice = completion.choices[0]
    message = choice.message
    calls = tuple(_tool_call(call) for call in message.tool_calls or ())
    content = message.content if message.content is not None else message.refusal
    usage = Usage(requests=1)
    if completion.usage is not None:
        usage = Usage(
            input_tokens=completion.usage.prompt_tokens or 0,
            output_tokens=completion.usage.completion_tokens or 0,
            requests=1,
        )
    return ModelResponse(
        message=AssistantMessage(content=content, tool_calls=calls),
        usage=usage,
        model=completion.model or fallback,
        provider=provider,
        finish_reason=choice.finish_reason,
        response_id=completion.id or None,
    )


def _tool_call(call: Any) -> ToolCall:
    if call.type == "function":
        name, raw = call.function.name, call.function.arguments
    else:  # a custom tool call: free text, never a JSON object earned asked for
        name, raw = call.custom.name, call.custom.input
    return _parse_tool_call(call.id, name, raw)


def _parse_tool_call(call_id: str, name: str, raw: str | None) -> ToolCall:
    """A tool call from its raw arguments; `raw_arguments` keeps them when not a JSON object."""
    try:
        arguments = json.loads(raw) if raw else {}
    except ValueError:
        return ToolCall(id=call_id, name=name, raw_arguments=raw)
    if not isinstance(arguments, dict):
        return ToolCall(id=call_id, name=name, raw_arguments=raw)
    return ToolCall(id=call_id, name=name, arguments=cast(dict[str, Any], arguments))


def _dump(value: Any) -> str:
    try:
        return json.dumps(value.model_dump(mode="json"))[:2000]
    except Exception:
        return repr(value)[:2000]


# --- errors (shared with earned.models.anthropic) ---------------------------------------------

#: What to check for an HTTP status; the message of a ModelHTTPError ends with it.
_STATUS_HINTS: Mapping[int, str] = {
    400: "the provider rejected the request; the body says which field",
    401: "check the API key",
    403: "the API key may not use this model or endpoint",
    404: "check the model name and the base URL",
    408: "the provider timed out the request; transient, retried with backoff",
    409: "a conflicting request; it may succeed when retried later",
    413: "the request is too large; shorten the conversation",
    422: "the provider could not process the request; the body says why",
    429: "rate limited; transient, retried with backoff; raise your limits if it persists",
    529: "the provider is overloaded; transient, retried with backoff; or add a FallbackModel",
}


#: Response headers kept in a ModelHTTPError's details, and the key they are kept under.
_KEPT_HEADERS: Mapping[str, str] = {
    "retry-after": "retry_after",
    "x-request-id": "request_id",
    "request-id": "request_id",
}


def _hint(status: int) -> str:
    if status in _STATUS_HINTS:
        return _STATUS_HINTS[status]
    if status >= 500:
        return "the provider failed; transient, retried with backoff; or add a FallbackModel"
    return "see the response body"


def _provider_message(body: object) -> str:
    """The provider's own error message from an error body (OpenAI or Anthropic shape)."""
    if isinstance(body, dict):
        data = cast(dict[str, Any], body)
        inner = data.get("error")
        if isinstance(inner, dict) and "message" in inner:
            return str(cast(dict[str, Any], inner)["message"])
        if "message" in data:
            return str(data["message"])
    if body is None or body == "":
        return "no message"
    return str(body)[:500]


def _http_error(
    model: str, status: int, body: object, headers: Mapping[str, str]
) -> ModelHTTPError:
    """A ModelHTTPError that says the status, the provider's message and what to check.

    `details` keeps `retry_after` (seconds, as the provider sent it) and the provider's
    `request_id` when the response headers carry them.
    """
    details: dict[str, Any] = {"status_code": status, "body": body, "model": model}
    for header, key in _KEPT_HEADERS.items():
        if header in headers:
            details[key] = headers[header]
    message = _provider_message(body)
    return ModelHTTPError(f"{model} returned HTTP {status}: {message} ({_hint(status)})", **details)


def _timeout_error(model: str, where: str, timeout: float) -> ModelTimeoutError:
    """A ModelTimeoutError naming the timeout and how to raise it."""
    return ModelTimeoutError(
        f"{model} did not answer within {timeout:g}s from {where}; raise "
        "settings['timeout'] if answers are legitimately slow, or check the server's load",
        model=model,
        base_url=where,
        timeout=timeout,
    )


def _connection_error(model: str, where: str, exc: Exception) -> ModelConnectionError:
    """A ModelConnectionError naming the address that could not be reached."""
    cause = exc.__cause__ or exc
    return ModelConnectionError(
        f"could not connect to {where} for {model} ({type(cause).__name__}: {cause}); check "
        "that the server is running, the base URL and your network",
        model=model,
        base_url=where,
    )


# --- clients -------------------------------------------------------------------------------

_C = TypeVar("_C")


class _LoopLocal(Generic[_C]):
    """One SDK client per running event loop: an HTTP connection pool is bound to its loop."""

    def __init__(self, factory: Callable[[], _C], shared: _C | None = None) -> None:
        self._factory = factory
        self._shared = shared
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _C] = (
            weakref.WeakKeyDictionary()
        )

    def get(self) -> _C:
        """The client for the running loop, created on first use."""
        if self._shared is not None:
            return self._shared
        loop = asyncio.get_running_loop()
        client = self._by_loop.get(loop)
        if client is None:
            client = self._by_loop[loop] = self._factory()
        return client

    async def aclose(self) -> None:
        """Close the client created for the running loop (a shared client is left open)."""
        client = self._by_loop.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await cast(Any, client).close()


# --- factories -----------------------------------------------------------------------------


def openai_model(spec: str) -> OpenAIModel:
    """`openai:MODEL`: OpenAI, key from OPENAI_API_KEY, base URL from OPENAI_BASE_URL if set."""
    if not spec:
        raise ModelNotFoundError(
            "write an OpenAI model as openai:MODEL, e.g. openai:gpt-4.1-mini", model=spec
        )
    return OpenAIModel(spec, provider="openai", base_url=os.environ.get("OPENAI_BASE_URL"))


def openai_compatible_model(spec: str) -> OpenAIModel:
    """`openai-compatible:URL#MODEL`: any OpenAI-compatible server.

    The key comes from OPENAI_COMPATIBLE_API_KEY; local servers that need none get a
    placeholder.
    """
    base_url, sep, model_name = spec.partition("#")
    if not sep or not model_name or not base_url.startswith(("http://", "https://")):
        raise ModelNotFoundError(
            f"cannot read OpenAI-compatible model {spec!r}: write it as "
            "openai-compatible:BASE_URL#MODEL, e.g. "
            "openai-compatible:http://localhost:8080/v1#llama-3.1-8b-instruct",
            model=f"openai-compatible:{spec}",
        )
    api_key = os.environ.get("OPENAI_COMPATIBLE_API_KEY") or _PLACEHOLDER_API_KEY
    return OpenAIModel(
        model_name,
        provider="openai-compatible",
        base_url=base_url.rstrip("/"),
        api_key=api_key,
        api_key_env="OPENAI_COMPATIBLE_API_KEY",
    )
