"""Which resources and prompts each tool family brings to its server.

* calculator, primes, web_search: a usage guide per tool (``guide://...``)
  and one prompt each (explain a calculation, check numbers for primality,
  research a question);
* database: each table's schema as a resource, a template for any table, the
  explore prompts with table and column completion, and a watcher that tells
  clients when tables come or go (:mod:`mcp_servers.db_features`).

The "all" server gets the union.  A family without anything here (a new one)
serves its tools only.
"""

from __future__ import annotations

from collections.abc import Sequence

from mcp_servers.changes import ChangeNotifier
from mcp_servers.features import Features
from mcp_servers.guides import family_guides, family_prompts
from mcp_servers.running import ToolSlots
from tools.base import ToolSpec
from tools.settings import ToolSettings


def family_features(
    family: str, specs: Sequence[ToolSpec], settings: ToolSettings, slots: ToolSlots, notifier: ChangeNotifier
) -> Features:
    if family == "database":
        from mcp_servers.db_features import DatabaseFeatures, database_name

        db = DatabaseFeatures({s.name: s for s in specs}, slots, database_name(settings.resolved_database_url()))
        return Features(resources=[db], prompts=db.prompts(), watchers=[db.watch(notifier)], notifier=notifier)
    return Features(resources=list(family_guides(family, list(specs))), prompts=family_prompts(family))


def server_features(
    families: Sequence[str], specs_by_family: dict[str, list[ToolSpec]], settings: ToolSettings, slots: ToolSlots
) -> Features:
    """The features of a server for ``families`` (one notifier shared by every watcher)."""
    notifier = ChangeNotifier()
    features = Features()
    for family in families:
        features = features.merge(family_features(family, specs_by_family[family], settings, slots, notifier))
    return features


__all__ = ["family_features", "server_features"]
