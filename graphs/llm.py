"""The chat model the settings describe: any OpenAI-compatible endpoint, or the offline model.

Where a model comes from, strongest first:

1. a model JSON file (``--model-config`` / ``AGENT_MODEL_CONFIG``) in the field's shape;
2. ``--model`` / ``AGENT_MODEL``, optionally ``provider:model`` (``dashscope:qwen-plus``),
   with ``--provider`` / ``AGENT_PROVIDER`` a name below or a base URL;
3. the first provider whose API key is set (``OPENAI_API_KEY``, ``DASHSCOPE_API_KEY``,
   ``DEEPSEEK_API_KEY``);
4. otherwise the offline model.  ``AGENT_MODEL=offline`` asks for it explicitly.

OpenAI itself is served by ``ChatOpenAI``.  Every other endpoint goes through
``ChatDeepSeek`` (langchain-deepseek), a ``BaseChatOpenAI`` that keeps the
``reasoning_content`` which DashScope, DeepSeek, vLLM and others stream, and
which plain ``ChatOpenAI`` drops.  Retries (connection errors, timeouts, 429,
5xx; exponential backoff with jitter; ``Retry-After`` honoured) are the OpenAI
SDK's own.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from graphs.settings import GraphSettings as Settings
from tools.base import describe_validation_error
from tools.redact import strip_userinfo
from tools.settings import UnsetVariable, env_value, expand_env

log = logging.getLogger(__name__)

# Test suites set this to False (as pydantic-ai's ALLOW_MODEL_REQUESTS): a model whose endpoint is not
# on this machine is then refused when built, so no test can reach a real provider by accident.
ALLOW_REMOTE_MODELS = True

ServerType = Literal[
    "openai", "dashscope", "deepseek", "ollama", "vllm", "sglang", "lmdeploy", "llamacpp", "openai-compatible"
]


class ModelConfigError(ValueError):
    """The model configuration is wrong; the message names the field and what to do."""


class Provider(BaseModel):
    base_url: str | None
    key_env: str | None
    default_model: str | None
    local: bool = False  # a server on this machine: no key needed


PROVIDERS: dict[str, Provider] = {
    "openai": Provider(base_url=None, key_env="OPENAI_API_KEY", default_model="gpt-4.1-mini"),
    "dashscope": Provider(
        base_url="https://dashscope.aliyuncs.com/compatible-mode/v1",
        key_env="DASHSCOPE_API_KEY",
        default_model="qwen-plus",
    ),
    "deepseek": Provider(
        base_url="https://api.deepseek.com/v1", key_env="DEEPSEEK_API_KEY", default_model="deepseek-chat"
    ),
    "ollama": Provider(base_url="http://127.0.0.1:11434/v1", key_env=None, default_model="qwen3", local=True),
    "vllm": Provider(base_url="http://127.0.0.1:8000/v1", key_env="VLLM_API_KEY", default_model=None, local=True),
    "sglang": Provider(base_url="http://127.0.0.1:30000/v1", key_env=None, default_model=None, local=True),
    "lmdeploy": Provider(base_url="http://127.0.0.1:23333/v1", key_env=None, default_model=None, local=True),
    "llamacpp": Provider(base_url="http://127.0.0.1:8080/v1", key_env=None, default_model=None, local=True),
}


class ModelFile(BaseModel):
    """A model JSON file, in the shape used in the field. Unknown fields are errors (typos)."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model_type: str = Field(default="", description="Model family, e.g. qwen, deepseek, llama, gpt.")
    server_type: ServerType = Field(default="openai-compatible", description="What serves it.")
    model: str = Field(min_length=1, description="Model name as the server knows it.")
    url: str | None = Field(default=None, description="Base URL of the OpenAI-compatible API (…/v1).")
    api_key: SecretStr | None = Field(default=None, description="Key, or ${ENV_VAR} to read one.")
    pay_in: float = Field(default=0.0, ge=0, description="Price per million input tokens.")
    pay_out: float = Field(default=0.0, ge=0, description="Price per million output tokens.")
    input_tokens: int = Field(default=32_000, ge=512, description="Context window in tokens.")
    out_tokens: int | None = Field(default=None, ge=1, description="Most tokens per answer.")
    temperature: float | None = Field(default=None, ge=0, le=2)
    timeout: float = Field(default=60.0, gt=0, description="Seconds per request.")
    no_think: bool = Field(default=False, description="Turn the provider's thinking mode off where supported.")


def load_model_file(path: Path) -> ModelFile:
    try:
        raw = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelConfigError(f"model config {path}: no such file") from None
    except (OSError, ValueError) as err:
        raise ModelConfigError(f"model config {path}: not valid JSON ({err})") from None
    if isinstance(raw, dict) and isinstance(raw.get("api_key"), str):
        try:  # ${VAR}: secrets stay out of the file
            raw["api_key"] = expand_env(raw["api_key"]) or None
        except UnsetVariable as err:
            raise ModelConfigError(f"model config {path}: field 'api_key': {err}") from None
    try:
        return ModelFile.model_validate(raw)
    except ValidationError as err:
        problems = describe_validation_error(err, "field '{where}': {msg}", whole="(file)")
        raise ModelConfigError(f"model config {path}: {problems}") from None


def _thinking_off(server: str) -> dict[str, Any]:
    """The request field that turns thinking off, per serving stack."""
    if server == "dashscope":
        return {"enable_thinking": False}
    if server in ("vllm", "sglang", "lmdeploy", "llamacpp", "openai-compatible"):
        return {"chat_template_kwargs": {"enable_thinking": False}}
    if server == "ollama":
        return {"think": False}
    return {}


class ModelChoice(BaseModel):
    """A resolved model: everything needed to build the client, and nothing secret when printed."""

    model_config = ConfigDict(protected_namespaces=())

    provider: str
    model: str
    base_url: str | None = None
    api_key: SecretStr | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    timeout: float = 60.0
    extra_body: dict[str, Any] = Field(default_factory=dict)
    context_window: int | None = None
    price_in: float | None = None
    price_out: float | None = None
    url_setting: str = "OPENAI_BASE_URL"  # where the base URL came from, to name it in messages

    @property
    def endpoint(self) -> str:
        return self.base_url or "https://api.openai.com/v1"


def _split(model: str | None, provider: str | None) -> tuple[str | None, str | None]:
    if model and ":" in model and model.split(":", 1)[0] in PROVIDERS:
        provider, model = model.split(":", 1)
    return model, provider


def choose_model(settings: Settings) -> ModelChoice | None:
    """The configured model, or None for the offline model."""
    if settings.model_config_path:
        file = load_model_file(settings.model_config_path)
        provider = file.server_type if file.server_type in PROVIDERS else "openai-compatible"
        known = PROVIDERS.get(provider)
        return ModelChoice(
            provider=provider,
            model=file.model,
            base_url=file.url or (known.base_url if known else None),
            api_key=file.api_key or _key_from_env(known),
            temperature=file.temperature,
            max_tokens=file.out_tokens,
            timeout=file.timeout,
            extra_body=_thinking_off(file.server_type) if file.no_think else {},
            context_window=file.input_tokens,
            price_in=file.pay_in,
            price_out=file.pay_out,
            url_setting=f"the model file's 'url' ({settings.model_config_path})",
        )
    model, provider = _split(settings.model, settings.provider)
    if model == "offline":
        return None
    if provider is None:
        provider = next((name for name, p in PROVIDERS.items() if p.key_env and env_value(p.key_env)), None)
        if provider is None and (model or env_value("OPENAI_BASE_URL")):
            provider = "openai"
    if provider is None:
        return None
    if provider.startswith(("http://", "https://")):
        if not model:
            raise ModelConfigError(f"provider {provider} is a URL: name the model with --model or AGENT_MODEL")
        return ModelChoice(
            provider="openai-compatible",
            model=model,
            base_url=provider,
            api_key=_secret(env_value("OPENAI_API_KEY")),
            url_setting="AGENT_PROVIDER",
        )
    if provider not in PROVIDERS:
        raise ModelConfigError(
            f"unknown provider {provider!r} (AGENT_PROVIDER / --provider): use one of {', '.join(PROVIDERS)} "
            "or an OpenAI-compatible base URL"
        )
    known = PROVIDERS[provider]
    model = model or known.default_model
    if not model:
        raise ModelConfigError(f"provider {provider} has no default model: name one with --model or AGENT_MODEL")
    base_url = env_value("OPENAI_BASE_URL") if provider == "openai" else known.base_url
    key = _key_from_env(known)
    if key is None and not known.local and not (provider == "openai" and base_url):
        _unknown_prefix(model, settings.provider)
        raise ModelConfigError(f"provider {provider} needs an API key: set {known.key_env}")
    return ModelChoice(provider=provider, model=model, base_url=base_url, api_key=key)


def _unknown_prefix(model: str, explicit_provider: str | None) -> None:
    """``--model nosuch:foo`` names a provider we do not know: say that, not that OpenAI needs a key."""
    prefix, colon, _ = model.partition(":")
    if colon and not explicit_provider and prefix.isidentifier() and prefix not in PROVIDERS:
        raise ModelConfigError(
            f"unknown provider {prefix!r} in --model / AGENT_MODEL {model!r}: use one of {', '.join(PROVIDERS)} "
            "as provider:model, or set --provider / AGENT_PROVIDER and give the model name alone"
        )


def _secret(value: str | None) -> SecretStr | None:
    return SecretStr(value) if value else None


def _key_from_env(provider: Provider | None) -> SecretStr | None:
    return _secret(env_value(provider.key_env)) if provider and provider.key_env else None


def effective_settings(settings: Settings) -> Settings:
    """Settings with the model file's prices and window applied (the file wins over defaults)."""
    choice = choose_model(settings)
    if choice is None:
        return settings
    update: dict[str, Any] = {}
    if choice.price_in is not None:
        update["price_in"], update["price_out"] = choice.price_in, choice.price_out
    if choice.context_window:
        update["context_window"] = choice.context_window
    return settings.model_copy(update=update)


_warned_userinfo: set[str] = set()


def _warn_userinfo(choice: ModelChoice) -> None:
    """Credentials in the base URL become Basic auth and replace the API key: say so, once per setting."""
    from urllib.parse import urlsplit

    if not choice.base_url or urlsplit(choice.base_url).username is None or choice.url_setting in _warned_userinfo:
        return
    _warned_userinfo.add(choice.url_setting)
    log.warning(
        "%s has a user name and password in the URL: they are sent as HTTP Basic auth and replace the API key; "
        "remove them from the URL unless the server expects Basic auth",
        choice.url_setting,
    )


def _check_remote(choice: ModelChoice) -> None:
    from urllib.parse import urlsplit

    host = urlsplit(choice.endpoint).hostname or ""
    if not ALLOW_REMOTE_MODELS and host not in ("127.0.0.1", "localhost", "::1"):
        raise ModelConfigError(f"remote model endpoints are blocked here (graphs.llm.ALLOW_REMOTE_MODELS): {host}")


def build_chat_model(choice: ModelChoice, max_retries: int = 3) -> BaseChatModel:
    """A LangChain chat model for a resolved choice; streams usage, retries with backoff."""
    _check_remote(choice)
    _warn_userinfo(choice)
    common: dict[str, Any] = {
        "model": choice.model,
        "timeout": choice.timeout,
        "max_retries": max_retries,
        "stream_usage": True,
    }
    if choice.temperature is not None:
        common["temperature"] = choice.temperature
    if choice.max_tokens is not None:
        common["max_tokens"] = choice.max_tokens
    if choice.extra_body:
        common["extra_body"] = choice.extra_body
    key = choice.api_key or SecretStr("not-needed")  # local servers take any key
    if choice.provider == "openai" and not choice.base_url:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(api_key=key, **common)
    from langchain_deepseek import ChatDeepSeek

    return ChatDeepSeek(api_key=key, api_base=choice.endpoint, **common)


def chat_model_from_settings(settings: Settings) -> BaseChatModel:
    """The configured model, with the fallback model behind it; the offline model if none."""
    choice = choose_model(settings)
    if choice is None:
        from graphs.offline import OfflineModel

        return OfflineModel()
    return build_chat_model(choice)


def embeddings_from_settings(settings: Settings) -> Any:
    """OpenAI-compatible embeddings when ``AGENT_EMBEDDING_MODEL`` names one, at the model's endpoint."""
    if not settings.embedding_model:
        return None
    from langchain_openai import OpenAIEmbeddings

    choice = choose_model(settings)
    base_url = choice.base_url if choice else env_value("OPENAI_BASE_URL")
    key = (choice.api_key if choice else None) or _secret(env_value("OPENAI_API_KEY")) or SecretStr("not-needed")
    return OpenAIEmbeddings(
        model=settings.embedding_model,
        base_url=base_url,
        api_key=key,
        check_embedding_ctx_length=False,
        max_retries=3,
        timeout=30,
    )


def fallback_from_settings(settings: Settings) -> BaseChatModel | None:
    """``AGENT_FALLBACK_MODEL``: a second model ([provider:]name, or ``offline``) tried when the first fails."""
    if not settings.fallback_model:
        return None
    choice = choose_model(settings.model_copy(update={"model": settings.fallback_model, "model_config_path": None}))
    if choice is None:
        from graphs.offline import OfflineModel

        return OfflineModel()
    return build_chat_model(choice)


def provider_errors() -> tuple[type[BaseException], ...]:
    """What a model provider raises when a call fails (network, HTTP status, a malformed reply).

    Anything else a model raises is a bug, and is left to surface.
    """
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError, ValueError]
    try:
        import openai

        errors.append(openai.OpenAIError)
    except ImportError:  # pragma: no cover - langchain-openai requires it
        pass
    try:
        import httpx

        errors.append(httpx.HTTPError)
    except ImportError:  # pragma: no cover
        pass
    from langchain_core.exceptions import LangChainException

    errors.append(LangChainException)
    return tuple(errors)


def endpoint_of(model: Any) -> str:
    """Where a model sends its requests, for error messages (never a key)."""
    for attr in ("api_base", "openai_api_base"):
        if value := getattr(model, attr, None):
            return strip_userinfo(str(value))
    if getattr(model, "_llm_type", "") in ("openai-chat",):
        return "https://api.openai.com/v1"
    return getattr(model, "_llm_type", type(model).__name__)


__all__ = [
    "PROVIDERS",
    "ModelChoice",
    "ModelConfigError",
    "ModelFile",
    "build_chat_model",
    "chat_model_from_settings",
    "choose_model",
    "effective_settings",
    "embeddings_from_settings",
    "endpoint_of",
    "fallback_from_settings",
    "load_model_file",
    "provider_errors",
]
