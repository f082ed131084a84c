"""``python -m agent mcp ...``: log in to MCP servers, see their state, prompts and resources.

    agent mcp status [--json] [--no-connect]     servers, transport, auth state, tool counts
    agent mcp login NAME [--no-browser]          the OAuth browser step, once; tokens kept in AGENT_HOME
    agent mcp logout NAME                        forget NAME's stored tokens
    agent mcp prompts [NAME] [--get PROMPT --arg K=V ...] [--json]
    agent mcp resources [NAME] [--read URI] [--json]

``agent/cli.py`` registers it with ``mcp_cli.add_parser(sub)`` and runs
``mcp_cli.run(args)``; ``python -m agent.mcp_cli ...`` works on its own too.
Nothing here prints a token or a secret: the state of a login is whether
there are tokens, the issuer, the expiry and the scope.  Exit codes: 0 done,
1 a login or a server failed, 2 configuration or usage error, 6 no such
server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_NOT_FOUND = 0, 1, 2, 6


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mcp-config", metavar="PATH", help="mcpServers JSON file (default: AGENT_MCP_CONFIG, "
                        "else mcp.json in AGENT_HOME)")  # fmt: skip
    parser.add_argument("--home", metavar="DIR", help="data directory (AGENT_HOME)")


def add_parser(sub: Any) -> None:
    """Add ``mcp`` and its subcommands to the CLI's subparsers."""
    mcp = sub.add_parser("mcp", help="MCP servers: status, login, logout, prompts, resources",
                         description="Manage the configured MCP servers.")  # fmt: skip
    actions = mcp.add_subparsers(dest="mcp_command", required=True, metavar="ACTION")
    status = actions.add_parser("status", help="each server's transport, auth state and tool count")
    status.add_argument("--json", action="store_true")
    status.add_argument("--no-connect", action="store_true", help="do not start the servers (no tool counts)")
    _common(status)
    login = actions.add_parser("login", help="log in to an OAuth server (opens the browser once)")
    login.add_argument("name", help="the server's name in the MCP config")
    login.add_argument("--no-browser", action="store_true", help="only print the address to open")
    _common(login)
    logout = actions.add_parser("logout", help="forget a server's stored tokens")
    logout.add_argument("name")
    _common(logout)
    prompts = actions.add_parser("prompts", help="list the servers' prompts, or render one")
    prompts.add_argument("name", nargs="?", help="only this server")
    prompts.add_argument("--get", metavar="PROMPT", help="render this prompt (needs NAME)")
    prompts.add_argument("--arg", action="append", default=[], metavar="KEY=VALUE", help="an argument of --get")
    prompts.add_argument("--json", action="store_true")
    _common(prompts)
    resources = actions.add_parser("resources", help="list the servers' resources, or read one")
    resources.add_argument("name", nargs="?", help="only this server")
    resources.add_argument("--read", metavar="URI", help="print this resource's contents (needs NAME)")
    resources.add_argument("--json", action="store_true")
    _common(resources)


class _Failed(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _settings(args: argparse.Namespace) -> Any:
    from pydantic import ValidationError

    from agent.settings import Settings

    overrides = {k: getattr(args, k) for k in ("mcp_config", "home") if getattr(args, k, None) is not None}
    try:
        return Settings(**overrides)
    except ValidationError as err:
        from tools.base import describe_validation_error

        raise _Failed(f"invalid settings: {describe_validation_error(err, whole='settings')}", EXIT_CONFIG) from None


def _servers(settings: Any, only: str | None = None, *, enabled: bool = True) -> dict[str, Any]:
    from agent.mcp.config import MCPConfigError, config_path, load_config

    path = config_path(settings.mcp_config, settings.home)
    if path is None:
        raise _Failed(f"no MCP config: write {settings.home / 'mcp.json'} or set AGENT_MCP_CONFIG", EXIT_CONFIG)
    try:
        config = load_config(path)
        servers = config.enabled() if enabled else dict(config.mcpServers)
    except MCPConfigError as err:
        raise _Failed(str(err), EXIT_CONFIG) from None
    if only is not None:
        if only not in config.mcpServers:
            known = ", ".join(config.mcpServers) or "none"
            raise _Failed(f"no MCP server named '{only}' in {path} (it has: {known})", EXIT_NOT_FOUND)
        if only not in servers:
            raise _Failed(f"MCP server '{only}' is disabled in {path}", EXIT_CONFIG)
        return {only: servers[only]}
    return servers


def _toolbox(settings: Any, servers: dict[str, Any]) -> Any:
    from agent.mcp.client import MCPToolbox
    from agent.mcp.elicitation import decline

    return MCPToolbox(servers, call_timeout=settings.mcp_timeout, log_dir=settings.home / "logs",
                      home=settings.home, elicitation_handler=decline)  # fmt: skip


def _where(config: Any) -> str:
    from tools.redact import mask_url

    if config.url:
        return mask_url(config.url) or ""
    return " ".join([config.command, *config.args])[:200]


def _auth_state(name: str, config: Any, home: Any) -> str:
    from agent.mcp.oauth import store_for

    if config.url is None:
        return "-"
    if config.has_authorization_header:
        return "Authorization header"
    store = store_for(name, config, home)
    if store is None:
        return "none"
    state = store.status()
    kind = "client credentials" if config.grant == "client_credentials" else "OAuth"
    if not state["logged_in"]:
        return f"{kind}: no stored login" if kind == "OAuth" else f"{kind}: no token yet"
    expiry = ""
    if state["expires_at"]:
        left = state["expires_at"] - time.time()
        refresh = ", refreshable" if state["refreshable"] else ""
        when = f"{left / 60:.0f} min" if left >= 120 else f"{left:.0f} s"
        expiry = f", expires in {when}{refresh}" if left > 0 else f", expired{refresh}"
    return f"{kind}: logged in at {state['issuer']}{expiry}"


def cmd_status(args: argparse.Namespace) -> int:
    settings = _settings(args)
    everything = _servers(settings, enabled=False)
    enabled = {name: c.expanded() for name, c in everything.items() if not c.disabled} if everything else {}
    counts: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if not args.no_connect and enabled:
        toolbox = _toolbox(settings, _servers(settings))
        try:
            errors = toolbox.start()
            counts = {name: len(tools) for name, tools in toolbox.listed_tools().items()}
        finally:
            toolbox.close()
    rows = []
    for name, config in everything.items():
        row = {
            "name": name,
            "transport": config.transport,
            "where": _where(config),
            "auth": "disabled" if config.disabled else _auth_state(name, enabled.get(name, config), settings.home),
            "tools": counts.get(name),
            "error": errors.get(name),
        }
        rows.append(row)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return EXIT_OK
    for row in rows:
        tools = "" if args.no_connect or row["auth"] == "disabled" else f"  {row['tools'] or 0} tools"
        error = f"  ({row['error']})" if row["error"] else ""
        print(f"{row['name']:16} {row['transport']:5} {row['auth']}{tools}{error}\n{'':22}{row['where']}")
    return EXIT_OK if not errors else EXIT_FAILED


def cmd_login(args: argparse.Namespace) -> int:
    from agent.mcp.login import login
    from agent.mcp.loopback import open_browser

    settings = _settings(args)
    config = _servers(settings, args.name)[args.name]

    async def show(url: str) -> None:
        if args.no_browser:
            print(f"Open this address to log in:\n  {url}", file=sys.stderr)
        else:
            await open_browser(url)

    outcome = asyncio.run(login(args.name, config, settings.home, show, log_dir=settings.home / "logs"))
    print(outcome.detail, file=sys.stdout if outcome.ok else sys.stderr)
    return EXIT_OK if outcome.ok else EXIT_FAILED


def cmd_logout(args: argparse.Namespace) -> int:
    from agent.mcp.oauth import store_for

    settings = _settings(args)
    config = _servers(settings, args.name, enabled=False)[args.name].expanded()
    store = store_for(args.name, config, settings.home)
    if store is None:
        print(f"MCP server '{args.name}' does not use OAuth; nothing to forget")
    elif store.clear():
        print(f"forgot the stored tokens of MCP server '{args.name}'")
    else:
        print(f"no stored tokens for MCP server '{args.name}'")
    return EXIT_OK


def _arguments(pairs: Sequence[str]) -> dict[str, str]:
    found = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise _Failed(f"--arg takes KEY=VALUE, got {pair!r}", EXIT_CONFIG)
        found[key] = value
    return found


def _text(content: Any) -> str:
    kind = getattr(content, "type", "")
    if kind == "text":
        return content.text
    if kind == "resource":
        inner = content.resource
        return f"[resource {inner.uri}]\n{getattr(inner, 'text', None) or '(binary)'}"
    return f"[{kind} content]"


def cmd_prompts(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.get and not args.name:
        raise _Failed("--get needs the server's NAME", EXIT_CONFIG)
    arguments = _arguments(args.arg)
    servers = _servers(settings, args.name)
    with _toolbox(settings, servers) as toolbox:
        if args.get:
            result = toolbox.get_prompt(args.name, args.get, arguments)
            data = result.model_dump(mode="json", by_alias=True, exclude_none=True)
            if args.json:
                print(json.dumps(data, ensure_ascii=False))
            else:
                for message in result.messages:
                    print(f"[{message.role}] {_text(message.content)}\n")
            return EXIT_OK
        listing = {name: [] if name in toolbox.errors else toolbox.list_prompts(name) for name in servers}
        errors = toolbox.errors
    if args.json:
        print(json.dumps({n: [p.model_dump(mode="json", by_alias=True, exclude_none=True) for p in ps]
                          for n, ps in listing.items()}, ensure_ascii=False))  # fmt: skip
        return EXIT_OK
    for name, prompts in listing.items():
        print(f"{name}:{'  (' + errors[name] + ')' if name in errors else ''}")
        for prompt in prompts:
            arguments = ", ".join(f"{a.name}{'' if a.required else '?'}" for a in prompt.arguments or [])
            print(f"  {prompt.name}({arguments})  {prompt.description or prompt.title or ''}")
    return EXIT_OK


def cmd_resources(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.read and not args.name:
        raise _Failed("--read needs the server's NAME", EXIT_CONFIG)
    servers = _servers(settings, args.name)
    with _toolbox(settings, servers) as toolbox:
        if args.read:
            result = toolbox.read_resource(args.name, args.read)
            if args.json:
                print(json.dumps(result.model_dump(mode="json", by_alias=True, exclude_none=True), ensure_ascii=False))
            else:
                for item in result.contents:
                    print(getattr(item, "text", None) or f"[binary {item.mime_type}, not shown]")
            return EXIT_OK
        listing = {
            name: ([], []) if name in toolbox.errors else
            (toolbox.list_resources(name), toolbox.list_resource_templates(name))
            for name in servers
        }  # fmt: skip
        errors = toolbox.errors
    if args.json:
        dump = {n: {"resources": [r.model_dump(mode="json", by_alias=True, exclude_none=True) for r in rs],
                    "templates": [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in ts]}
                for n, (rs, ts) in listing.items()}  # fmt: skip
        print(json.dumps(dump, ensure_ascii=False))
        return EXIT_OK
    for name, (resources, templates) in listing.items():
        print(f"{name}:{'  (' + errors[name] + ')' if name in errors else ''}")
        for resource in resources:
            print(f"  {resource.uri}  {resource.title or resource.name}")
        for template in templates:
            print(f"  {template.uri_template}  (template) {template.title or template.name}")
    return EXIT_OK


COMMANDS = {
    "status": cmd_status,
    "login": cmd_login,
    "logout": cmd_logout,
    "prompts": cmd_prompts,
    "resources": cmd_resources,
}


def run(args: argparse.Namespace) -> int:
    """Run ``mcp <action>``; errors are one line on stderr and an exit code."""
    from agent.mcp.errors import MCPServerError

    try:
        return COMMANDS[args.mcp_command](args)
    except _Failed as err:
        print(f"agent: {err}", file=sys.stderr)
        return err.code
    except (MCPServerError, TimeoutError) as err:
        print(f"agent: {err}", file=sys.stderr)
        return EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent.mcp_cli")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    from agent.logs import configure_stderr

    configure_stderr()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
