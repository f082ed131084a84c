"""Model files: one model's JSON (``--model-config``), and the named profiles of ``AGENT_HOME/models.json``.

A profile file holds several model-file entries by name::

    {"qwen": {"server_type": "dashscope", "model": "qwen-plus", "api_key": "${DASHSCOPE_API_KEY}"},
     "local": {"server_type": "vllm", "model": "Qwen/Qwen3-8B", "url": "http://127.0.0.1:8000/v1", "rpm": 120}}

``--model qwen`` / ``AGENT_MODEL=qwen`` picks one (a profile name wins over a model of
that name); ``python -m agent models`` lists them, saying whether each key is set,
never the key.  Only the chosen entry's ``${VAR}`` is expanded, so a profile whose key
is not set here does not stop the others.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from graphs.pricing import Pricing
from tools.base import describe_validation_error
from tools.settings import UnsetVariable, env_value, expand_env

PROFILES_FILE = "models.json"
MAX_PROFILES_BYTES = 1_000_000
_VAR = re.compile(r"\$\{(\w+)\}")


class ModelConfigError(ValueError):
    """The model configuration is wrong; the message names the field and what to do."""


class ModelFile(BaseModel):
    """A model JSON file, in the shape used in the field. Unknown fields are errors (typos)."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model_type: str = Field(default="", description="Model family, e.g. qwen, deepseek, llama, gpt.")
    server_type: str = Field(
        default="openai-compatible", description="What serves it: a graphs.llm.PROVIDERS name or openai-compatible."
    )
    model: str = Field(min_length=1, description="Model name as the server knows it.")
    url: str | None = Field(default=None, description="Base URL of the OpenAI-compatible API (…/v1).")
    api_key: SecretStr | None = Field(default=None, description="Key, or ${ENV_VAR} to read one.")
    pay_in: float = Field(default=0.0, ge=0, description="Price per million input tokens (not from a cache).")
    pay_out: float = Field(default=0.0, ge=0, description="Price per million output tokens (reasoning included).")
    pay_cache: float | None = Field(default=None, ge=0, description="Price per million cached input tokens.")
    pay_cache_write: float | None = Field(
        default=None, ge=0, description="Price per million input tokens written into an explicit cache."
    )
    input_tokens: int = Field(default=32_000, ge=512, description="Context window in tokens.")
    out_tokens: int | None = Field(default=None, ge=1, description="Most tokens per answer.")
    temperature: float | None = Field(default=None, ge=0, le=2)
    timeout: float = Field(default=60.0, gt=0, description="Seconds per request.")
    no_think: bool = Field(default=False, description="Turn the provider's thinking mode off where supported.")
    thinking_budget: int | None = Field(default=None, ge=1, description="Most reasoning tokens (DashScope).")
    rpm: int | None = Field(default=None, ge=1, description="Requests per minute this client may send.")
    tpm: int | None = Field(default=None, ge=1, description="Tokens per minute this client may use.")

    @field_validator("server_type")
    @classmethod
    def _known_server(cls, value: str) -> str:
        from graphs.llm import PROVIDERS

        known = [*PROVIDERS, "openai-compatible"]
        if value not in known:
            raise ValueError(f"unknown server type {value!r}; known: {', '.join(known)}")
        return value

    def pricing(self) -> Pricing | None:
        """The file's prices, or None when it sets none."""
        if not (self.pay_in or self.pay_out or self.pay_cache or self.pay_cache_write):
            return None
        return Pricing(input=self.pay_in, output=self.pay_out, cached=self.pay_cache, cache_write=self.pay_cache_write)


def model_file_from(raw: Any, where: str) -> ModelFile:
    """A model-file entry, ``api_key`` ``${VAR}`` expanded; errors start with ``where`` and name the field."""
    if isinstance(raw, dict) and isinstance(raw.get("api_key"), str):
        try:  # ${VAR}: secrets stay out of the file
            raw = {**raw, "api_key": expand_env(raw["api_key"]) or None}
        except UnsetVariable as err:
            raise ModelConfigError(f"{where}: field 'api_key': {err}") from None
    try:
        return ModelFile.model_validate(raw)
    except ValidationError as err:
        problems = describe_validation_error(err, "field '{where}': {msg}", whole="(file)")
        raise ModelConfigError(f"{where}: {problems}") from None


def load_model_file(path: Path) -> ModelFile:
    try:
        raw = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelConfigError(f"model config {path}: no such file") from None
    except (OSError, ValueError) as err:
        raise ModelConfigError(f"model config {path}: not valid JSON ({err})") from None
    return model_file_from(raw, f"model config {path}")


def profiles_path(home: Path) -> Path:
    return Path(home) / PROFILES_FILE


def raw_profiles(home: Path) -> dict[str, dict[str, Any]]:
    """The profiles as written (nothing expanded); {} without a file.  A broken file is an error naming it."""
    path = profiles_path(home)
    if not path.is_file():
        return {}
    try:
        if path.stat().st_size > MAX_PROFILES_BYTES:
            raise ModelConfigError(f"{path}: larger than {MAX_PROFILES_BYTES} bytes")
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        if isinstance(err, ModelConfigError):
            raise
        raise ModelConfigError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ModelConfigError(f"{path}: must be one JSON object of profiles, each a model file's object")
    return raw


def profile_file(name: str, home: Path) -> ModelFile | None:
    """The profile ``name`` as a model file (its ``${VAR}`` expanded), or None when there is none of that name."""
    profiles = raw_profiles(home)
    if name not in profiles:
        return None
    return model_file_from(profiles[name], f"{profiles_path(home)}: profile {name!r}")


def key_state(entry: dict[str, Any], key_env: str | None, local: bool) -> str:
    """Whether a profile has its key, and from where; never the key."""
    key = entry.get("api_key")
    if isinstance(key, str) and key:
        names = _VAR.findall(key)
        if not names:
            return "set (in the file)"
        missing = [n for n in names if env_value(n) is None]
        return f"not set ({', '.join(missing)})" if missing else f"set ({', '.join(names)})"
    if key_env and env_value(key_env):
        return f"set ({key_env})"
    if local:
        return "not needed (local server)"
    return f"not set ({key_env})" if key_env else "not set"


def validate_profile(entry: dict[str, Any]) -> str:
    """ "" when the entry is a valid model file (keys left unexpanded), else what is wrong."""
    try:
        ModelFile.model_validate({**entry, "api_key": None} if "api_key" in entry else entry)
    except ValidationError as err:
        return describe_validation_error(err, "field '{where}': {msg}", whole="(profile)")
    return ""


__all__ = [
    "PROFILES_FILE",
    "ModelConfigError",
    "ModelFile",
    "key_state",
    "load_model_file",
    "model_file_from",
    "profile_file",
    "profiles_path",
    "raw_profiles",
    "validate_profile",
]
