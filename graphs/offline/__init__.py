"""The offline model: what answers when no language model is configured (see :mod:`graphs.offline.model`)."""

from graphs.offline.model import BANNER_EN, BANNER_ZH, OfflineModel
from graphs.offline.steps import resolve_tool

__all__ = ["BANNER_EN", "BANNER_ZH", "OfflineModel", "resolve_tool"]
