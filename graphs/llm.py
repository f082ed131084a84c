"""The chat model the settings describe: any OpenAI-compatible endpoint, or the offline model.

Where a model comes from, strongest first:

1. a model JSON file (``--model-config`` / ``AGENT_MODEL_CONFIG``) in the field's shape;
2. ``--model NAME`` / ``AGENT_MODEL=NAME`` naming a profile of ``AGENT_HOME/models.json``
   (several model-file entries by name, :mod:`graphs.providers_profiles`);
3. ``--model`` / ``AGENT_MODEL``, optionally ``provider:model`` (``dashscope:qwen-plus``),
   with ``--provider`` / ``AGENT_PROVIDER`` a name below or a base URL;
4. the first provider whose API key is set (``OPENAI_API_KEY``, ``DASHSCOPE_API_KEY``,
   ``DEEPSEEK_API_KEY``);
5. otherwise the offline model.  ``AGENT_MODEL=offline`` asks for it explicitly.

What each provider can do lives in :data:`PROVIDERS` and the three functions under it
(thinking switch, prefix continuation, JSON output): adding a provider is one entry
there.  The clients themselves (:mod:`graphs.providers`) are LangChain's: OpenAI is
served by ``ChatOpenAI``, every other endpoint by ``ChatDeepSeek`` (langchain-deepseek),
which keeps the ``reasoning_content`` plain ``ChatOpenAI`` drops; both extended with the
full token usage, call timing, the per-run options and the rate limiter.  Retries
(connection errors, timeouts, 429, 5xx; exponential backoff with jitter; ``Retry-After``
honoured) are the OpenAI SDK's own.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from graphs.pricing import Pricing, table_pricing
from graphs.providers import endpoint_of, provider_errors
from graphs.providers_files import ModelConfigError, ModelFile, load_model_file, model_file_from
from graphs.settings import GraphSettings as Settings
from tools.redact import strip_userinfo
from tools.settings import env_value

log = logging.getLogger(__name__)

# Test suites set this to False (as pydantic-ai's ALLOW_MODEL_REQUESTS): a model whose endpoint is not
# on this machine is then refused when built, so no test can reach a real provider by accident.
ALLOW_REMOTE_MODELS = True

ThinkStyle = Literal["dashscope", "deepseek", "template", "ollama", "none"]
PrefixStyle = Literal["partial", "prefix", "continue", "none"]
JsonStyle = Literal["schema", "object", "none"]


class Provider(BaseModel):
    """One serving stack: where it is, its key, and how it switches the features the agent uses."""

    base_url: str | None
    key_env: str | None
    default_model: str | None
    local: bool = False  # a server on this machine: no key needed
    think: ThinkStyle = "none"  # how thinking is switched on and off (thinking_fields)
    prefix: PrefixStyle = "none"  # how the model continues a given beginning of its answer (prefix_fields)
    json_output: JsonStyle = "none"  # response_format it accepts: a JSON schema, a JSON object, or none


PROVIDERS: dict[str, Provider] = {
    "openai": Provider(base_url=None, key_env="OPENAI_API_KEY", default_model="gpt-4.1-mini", json_output="schema"),
    "dashscope": Provider(
        base_url="https://dashscope.aliyuncs.com/compatible-mode/v1",
        key_env="DASHSCOPE_API_KEY",
        default_model="qwen-plus",
        think="dashscope",
        prefix="partial",
        json_output="object",
    ),
    "deepseek": Provider(
        base_url="https://api.deepseek.com/v1",
        key_env="DEEPSEEK_API_KEY",
        default_model="deepseek-chat",
        think="deepseek",
        prefix="prefix",
        json_output="object",
    ),
    "ollama": Provider(
        base_url="http://127.0.0.1:11434/v1",
        key_env=None,
        default_model="qwen3",
        local=True,
        think="ollama",
        json_output="schema",
    ),
    "vllm": Provider(
        base_url="http://127.0.0.1:8000/v1",
        key_env="VLLM_API_KEY",
        default_model=None,
        local=True,
        think="template",
        prefix="continue",
        json_output="schema",
    ),
    "sglang": Provider(
        base_url="http://127.0.0.1:30000/v1",
        key_env=None,
        default_model=None,
        local=True,
        think="template",
        prefix="continue",
        json_output="schema",
    ),
    "lmdeploy": Provider(
        base_url="http://127.0.0.1:23333/v1", key_env=None, default_model=None, local=True, think="template"
    ),
    "llamacpp": Provider(
        base_url="http://127.0.0.1:8080/v1",
        key_env=None,
        default_model=None,
        local=True,
        think="template",
        json_output="schema",
    ),
}
# Any other OpenAI-compatible server: a chat template's thinking switch, nothing assumed beyond it.
GENERIC = Provider(base_url=None, key_env=None, default_model=None, think="template")


def provider_of(name: str) -> Provider:
    return PROVIDERS.get(name, GENERIC)


def thinking_fields(style: ThinkStyle, on: bool, budget: int | None = None) -> dict[str, Any]:
    """The request fields that turn thinking on or off (and bound it, where the server can)."""
    if style == "dashscope":
        return {"enable_thinking": on, **({"thinking_budget": budget} if on and budget else {})}
    if style == "deepseek":  # deepseek-reasoner thinks by model choice; the field switches the others
        return {"thinking": {"type": "enabled" if on else "disabled"}}
    if style == "template":  # vLLM, SGLang, LMDeploy, llama.cpp: the chat template's switch
        return {"chat_template_kwargs": {"enable_thinking": on}}
    if style == "ollama":
        return {"think": on}
    return {}


def prefix_fields(style: PrefixStyle) -> tuple[dict[str, Any], dict[str, Any]]:
    """For a prefix continuation: the fields of the final assistant message, and of the request body."""
    if style == "partial":  # DashScope partial mode
        return {"partial": True}, {}
    if style == "prefix":  # DeepSeek prefix completion (beta API, prefix_base_url)
        return {"prefix": True}, {}
    if style == "continue":  # vLLM and SGLang
        return {}, {"continue_final_message": True, "add_generation_prompt": False}
    raise ModelConfigError("this provider cannot continue a given beginning of the answer")


def prefix_base_url(style: PrefixStyle, base_url: str) -> str:
    """Where prefix requests go: DeepSeek serves them on its beta API (``…/beta`` instead of ``…/v1``)."""
    if style != "prefix":
        return base_url
    trimmed = base_url.rstrip("/")
    return (trimmed[: -len("/v1")] if trimmed.endswith("/v1") else trimmed) + "/beta"


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
    price_in: float | None = None  # the model file's prices (the settings take them: effective_settings)
    price_out: float | None = None
    pricing: Pricing | None = None  # every price of this model: configured, or the table's estimate
    think: bool | None = None  # thinking on or off by default (None: the server's default)
    thinking_budget: int | None = None
    rpm: int | None = None
    tpm: int | None = None
    profile: str | None = None  # the models.json entry it came from
    url_setting: str = "OPENAI_BASE_URL"  # where the base URL came from, to name it in messages

    @property
    def endpoint(self) -> str:
        return self.base_url or "https://api.openai.com/v1"

    @property
    def features(self) -> Provider:
        return provider_of(self.provider)


def _split(model: str | None, provider: str | None) -> tuple[str | None, str | None]:
    if model and ":" in model and model.split(":", 1)[0] in PROVIDERS:
        provider, model = model.split(":", 1)
    return model, provider


def _settings_pricing(settings: Settings, provider: str, model: str) -> Pricing | None:
    """``AGENT_PRICE_IN`` / ``AGENT_PRICE_OUT`` when set, else the price table's row (an estimate)."""
    if settings.price_in or settings.price_out:
        return Pricing(input=settings.price_in, output=settings.price_out)
    return table_pricing(provider, model, settings.home)


def _from_file(file: ModelFile, settings: Settings, where: str, profile: str | None = None) -> ModelChoice:
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
        context_window=file.input_tokens,
        price_in=file.pay_in,
        price_out=file.pay_out,
        pricing=file.pricing() or table_pricing(provider, file.model, settings.home),
        think=False if file.no_think else None,
        thinking_budget=file.thinking_budget,
        rpm=file.rpm,
        tpm=file.tpm,
        profile=profile,
        url_setting=where,
    )


def choose_model(settings: Settings) -> ModelChoice | None:
    """The configured model, or None for the offline model."""
    if settings.model_config_path:
        file = load_model_file(settings.model_config_path)
        return _from_file(file, settings, f"the model file's 'url' ({settings.model_config_path})")
    if settings.model and settings.model != "offline":
        from graphs.providers_files import profile_file

        if (found := profile_file(settings.model, settings.home)) is not None:
            return _from_file(found, settings, f"profile {settings.model!r}'s 'url'", profile=settings.model)
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
            pricing=_settings_pricing(settings, "openai-compatible", model),
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
    return ModelChoice(
        provider=provider,
        model=model,
        base_url=base_url,
        api_key=key,
        pricing=_settings_pricing(settings, provider, model),
    )


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
    """A LangChain chat model for a resolved choice; streams usage, retries with backoff, keeps to its rate."""
    from graphs.providers import ModelOptions, client_classes

    _check_remote(choice)
    _warn_userinfo(choice)
    features = choice.features
    if choice.thinking_budget and features.think != "dashscope":
        log.warning("thinking_budget is not supported by %s and is not sent", choice.provider)
    common: dict[str, Any] = {
        "model": choice.model,
        "timeout": choice.timeout,
        "max_retries": max_retries,
        "stream_usage": True,
        "agent_options": ModelOptions(
            provider=choice.provider,
            think_style=features.think,
            prefix_style=features.prefix,
            json_style=features.json_output,
            think=choice.think,
            thinking_budget=choice.thinking_budget,
            pricing=choice.pricing,
            rpm=choice.rpm,
            tpm=choice.tpm,
            endpoint=strip_userinfo(choice.endpoint),
        ),
    }
    if choice.temperature is not None:
        common["temperature"] = choice.temperature
    if choice.max_tokens is not None:
        common["max_tokens"] = choice.max_tokens
    if choice.extra_body:
        common["extra_body"] = choice.extra_body
    key = choice.api_key or SecretStr("not-needed")  # local servers take any key
    openai_client, compatible_client = client_classes()
    if choice.provider == "openai" and not choice.base_url:
        return openai_client(api_key=key, **common)
    return compatible_client(api_key=key, api_base=choice.endpoint, **common)


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


__all__ = [
    "GENERIC",
    "PROVIDERS",
    "Provider",
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
    "model_file_from",
    "prefix_base_url",
    "prefix_fields",
    "provider_errors",
    "provider_of",
    "thinking_fields",
]
