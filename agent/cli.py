"""``python -m agent``: run a task, chat, manage threads, list tools, show the configuration.

Only argparse is imported at start-up; LangGraph, LangChain and the tools load
when a command needs them, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import sys
import uuid
from collections.abc import Iterator
from typing import Any

EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_BOUND, EXIT_MODEL, EXIT_BUSY, EXIT_NOT_FOUND = 0, 1, 2, 3, 4, 5, 6
EXIT_INTERRUPTED = 130

EPILOG = """\
exit codes: 0 answered (also when you denied a destructive call and the model answered; stop reason
              "denied"), or the output pipe was closed early (`agent ... | head -1`)
            1 unexpected error · 2 configuration or usage error (e.g. an empty task)
            3 a bound stopped the run (best-effort answer printed) · 4 the model could not be reached
            5 the thread is busy with another run (AGENT_THREAD_WAIT) · 6 not found (no such thread)
            130 interrupted (Ctrl-C) · chat: Ctrl-C clears the line, twice in a row or Ctrl-D leaves (0)

models: with no model configured the offline model answers (primes, arithmetic,
the database, web search). Configure one with OPENAI_API_KEY / OPENAI_BASE_URL,
DASHSCOPE_API_KEY, DEEPSEEK_API_KEY, --model [provider:]NAME, --model-config FILE,
or --model PROFILE naming an entry of AGENT_HOME/models.json (`agent models` lists them).
Settings: AGENT_* environment variables or .env (see `python -m agent config`).
"""


class ConfigError(Exception):
    """Bad configuration: printed as one line, exit code 2."""


class UsageError(Exception):
    """A command used wrongly (an empty task, a missing thread id): one line, exit code 2."""


class NotFound(Exception):
    """What the command names does not exist (a thread id): one line, exit code 6."""


def _settings_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("settings (override AGENT_* variables)")
    group.add_argument("--model", help="model name, or provider:model (openai, dashscope, deepseek, ollama, vllm, …)")
    group.add_argument("--provider", help="provider name or an OpenAI-compatible base URL")
    group.add_argument("--model-config", dest="model_config_path", metavar="PATH", help="model JSON file")
    group.add_argument("--checkpointer", metavar="URL", help="memory:, a SQLite path, or postgresql://…")
    group.add_argument("--database-url", metavar="URL", help="database for the database tool")
    group.add_argument(
        "--allow-write",
        dest="database_write",
        action="store_const",
        const=True,
        help="let the database tool write (each write asks for approval)",
    )
    group.add_argument("--mcp-config", metavar="PATH", help="mcpServers JSON file")
    group.add_argument("--planning", choices=["auto", "always", "off"])
    from graphs.context import STRATEGIES  # the table the builder reads (light: no LangChain at import)

    group.add_argument("--context", dest="context_strategy", choices=list(STRATEGIES))
    group.add_argument("--max-model-calls", type=int)
    group.add_argument("--max-tool-calls", type=int)
    group.add_argument("--max-seconds", type=float)
    group.add_argument("--max-cost", type=float)
    group.add_argument("--home", metavar="DIR", help="data directory (AGENT_HOME)")
    group.add_argument("-v", "--verbose", action="store_true", help="show time to first token and more")


def _think_args(parser: argparse.ArgumentParser) -> None:
    think = parser.add_mutually_exclusive_group()
    think.add_argument(
        "--think", dest="think", action="store_const", const=True, help="turn the model's thinking on, where it can"
    )
    think.add_argument(
        "--no-think", dest="think", action="store_const", const=False, help="turn the model's thinking off"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agent",
        description="A LangGraph agent with function and MCP tools.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run", help="run one task and stream it", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    run.add_argument("task", help='the task, e.g. "Is 3214567 prime?"')
    run.add_argument("--thread", help="continue this conversation thread (default: a new one)")
    out = run.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    out.add_argument("--quiet", "-q", action="store_true", help="print only the answer")
    run.add_argument("--yes", "-y", action="store_true", help="approve destructive tool calls without asking")
    run.add_argument(
        "--prefix",
        metavar="TEXT",
        help="the beginning of the answer, which the model continues (dashscope, deepseek, vllm, sglang)",
    )
    _think_args(run)
    _settings_args(run)

    chat = sub.add_parser(
        "chat",
        help="interactive conversation (/new, /thread [ID], /exit)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    chat.add_argument("--thread", help="thread to continue (default: a new one)")
    chat.add_argument("--yes", "-y", action="store_true", help="approve destructive tool calls without asking")
    _think_args(chat)
    _settings_args(chat)

    threads = sub.add_parser(
        "threads",
        help="list, show, delete or prune conversation threads",
        epilog="prune: delete threads untouched for --ttl (or AGENT_THREAD_TTL), keep one checkpoint per other "
        "finished thread (its conversation stays; steps of old runs go), give the space back.\n"
        "exit codes: 0 done · 2 no thread id given or a bad --ttl · 6 no such thread",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    threads.add_argument("action", choices=["list", "show", "delete", "prune"], nargs="?", default="list")
    threads.add_argument("thread", nargs="?", help="thread id (show, delete; prune only this one)")
    threads.add_argument("--ttl", help="prune: delete threads untouched this long (30d, 12h, 90m, seconds)")
    threads.add_argument("--json", action="store_true")
    threads.add_argument("--usage", action="store_true", help="show: the thread's tokens, cost and calls, summed")
    _settings_args(threads)

    models = sub.add_parser("models", help="list the model profiles of AGENT_HOME/models.json (keys: set or not)")
    models.add_argument("--json", action="store_true")
    models.add_argument("--prices", action="store_true", help="also show the price table")
    _settings_args(models)

    tools = sub.add_parser("tools", help="list the function and MCP tools with their schemas")
    tools.add_argument("--json", action="store_true")
    _settings_args(tools)

    config = sub.add_parser("config", help="show the effective configuration (secrets masked)")
    config.add_argument("--json", action="store_true")
    _settings_args(config)

    from agent.serve import add_parser as add_serve

    _settings_args(add_serve(sub))

    from agent.mcp_cli import add_parser as add_mcp

    add_mcp(sub)
    return parser


SETTING_FLAGS = (
    "model",
    "provider",
    "model_config_path",
    "checkpointer",
    "database_url",
    "database_write",
    "mcp_config",
    "planning",
    "context_strategy",
    "max_model_calls",
    "max_tool_calls",
    "max_seconds",
    "max_cost",
    "home",
)


def flag_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given as flags on this command line."""
    return {name: getattr(args, name) for name in SETTING_FLAGS if getattr(args, name, None) is not None}


def load_settings(args: argparse.Namespace) -> Any:
    """Settings from the environment and .env, with the given flags on top."""
    from pydantic import ValidationError

    from agent.settings import Settings

    overrides = flag_overrides(args)
    try:
        settings = Settings(**overrides)
    except ValidationError as err:
        from tools.base import describe_validation_error

        problems = describe_validation_error(err, whole="settings")
        raise ConfigError(f"invalid settings: {problems}") from None
    from agent.logs import configure_file

    configure_file(settings.home)
    return settings


def build_graph(settings: Any, **kwargs: Any) -> Any:
    """The agent graph; anything wrong with what the settings point at is a configuration error."""
    from agent.mcp import prestart, serve_sampling

    prestart(settings)  # MCP servers start while LangGraph loads
    with configuration(settings):
        serve_sampling(settings)
    from graphs.builder import build_agent

    with configuration(settings):
        graph = build_agent(settings=settings, **kwargs)
    if not gc.isenabled():  # the command line's start-up (main turned collection off)
        gc.freeze()  # what start-up built lives as long as the process: no collection pass walks it again
        gc.enable()
    return graph


@contextlib.contextmanager
def configuration(settings: Any) -> Iterator[None]:
    """Turn errors from what the settings point at (model file, MCP config, checkpointer, database)
    into one masked line and exit code 2, instead of a traceback."""
    import sqlite3

    from agent.mcp.config import MCPConfigError
    from graphs.llm import ModelConfigError
    from graphs.memory import CheckpointerError

    try:
        yield
    except BrokenPipeError:  # the reader went away (`| head`): not a configuration problem
        raise
    except (ModelConfigError, MCPConfigError, CheckpointerError) as err:
        raise ConfigError(str(err)) from None
    except (sqlite3.Error, RuntimeError, OSError, ValueError) as err:
        from agent.config_view import mask_secrets

        raise ConfigError(mask_secrets(f"{type(err).__name__}: {err}", settings)) from None


def _approver(args: argparse.Namespace, renderer: Any) -> Any:
    def approve(calls: list[dict[str, Any]]) -> bool:
        if args.yes:
            return True
        if not sys.stdin.isatty():
            renderer.notice("a destructive call needs approval; not on a terminal, so it is denied (use --yes)")
            return False
        for call in calls:
            renderer.notice(f"approve {call['name']}({json.dumps(call['args'], ensure_ascii=False)})?")
        try:
            return input("approve? [y/N] ").strip().lower() in ("y", "yes")
        except EOFError:
            return False

    return approve


def exit_code(stop_reason: str) -> int:
    """0 when the run answered, also after the user denied a destructive call ("denied")."""
    if stop_reason in ("answered", "denied"):
        return EXIT_OK
    return EXIT_MODEL if stop_reason == "model_error" else EXIT_BOUND


def cmd_run(args: argparse.Namespace) -> int:
    if not args.task.strip():
        raise UsageError('the task is empty: give one, e.g. agent run "Is 97 prime?"')
    from agent.config_view import fallback_label, model_label
    from agent.models_view import check_prefix, with_run_options
    from agent.render import QuietRenderer, make_renderer
    from agent.runner import run_task
    from agent.tracing import tracing_callbacks

    settings = load_settings(args)
    if args.prefix is not None:
        check_prefix(args.prefix, settings)
    graph = with_run_options(build_graph(settings), args, settings)
    thread = args.thread or uuid.uuid4().hex[:12]
    renderer = QuietRenderer(open_devnull()) if args.json else make_renderer(quiet=args.quiet, verbose=args.verbose)
    callbacks = tracing_callbacks(settings)
    models = (model_label(settings), fallback_label(settings))
    result = run_task(graph, args.task, thread, renderer, _approver(args, renderer), callbacks, models)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    if result.error:
        print(f"agent: {result.error}", file=sys.stderr)
    return exit_code(result.stop_reason)


def open_devnull() -> Any:
    import os

    return open(os.devnull, "w")  # noqa: SIM115 - lives for the process


def cmd_chat(args: argparse.Namespace) -> int:
    from agent.chat import chat_loop
    from agent.config_view import fallback_label, model_label
    from agent.models_view import with_run_options
    from agent.tracing import tracing_callbacks

    settings = load_settings(args)
    graph = with_run_options(build_graph(settings), args, settings)
    models = (model_label(settings), fallback_label(settings))
    return chat_loop(graph, args, _approver, tracing_callbacks(settings), models)


def cmd_threads(args: argparse.Namespace) -> int:
    from agent.threads import threads_command

    settings = load_settings(args)
    with configuration(settings):
        return threads_command(args, settings)


def cmd_tools(args: argparse.Namespace) -> int:
    from agent.config_view import show_tools

    settings = load_settings(args)
    from agent.mcp import prestart

    prestart(settings)
    with configuration(settings):
        return show_tools(settings, as_json=args.json)


def cmd_config(args: argparse.Namespace) -> int:
    """The configuration; the model in use with every price (``estimated`` from the built-in table);
    in text, the price table too (``agent models --prices --json`` has it for scripts)."""
    from agent.config_view import effective_config, mask_secrets, show_config
    from agent.models_view import price_lines, pricing_in_use
    from graphs.pricing import PRICES_AS_OF

    settings = load_settings(args)
    flags = set(flag_overrides(args))
    pricing = pricing_in_use(settings)
    if args.json:
        data = effective_config(settings, flags)
        if pricing is not None and isinstance(data.get("model_in_use"), dict):
            data["model_in_use"] = {**data["model_in_use"], "pricing": pricing, "prices_as_of": PRICES_AS_OF}
        print(mask_secrets(json.dumps(data, ensure_ascii=False, default=str), settings))
        return EXIT_OK
    code = show_config(settings, as_json=False, flags=flags)
    print(f"{'pricing_in_use':22} {json.dumps(pricing)}")
    print("\n".join(price_lines(settings)))
    return code


def cmd_models(args: argparse.Namespace) -> int:
    from agent.models_view import show_models

    settings = load_settings(args)
    with configuration(settings):
        return show_models(settings, as_json=args.json, prices=args.prices)


def cmd_serve(args: argparse.Namespace) -> int:
    from agent.serve import run as serve

    settings = load_settings(args)
    with configuration(settings):
        return serve(args, settings)


COMMANDS = {
    "run": cmd_run,
    "chat": cmd_chat,
    "threads": cmd_threads,
    "tools": cmd_tools,
    "config": cmd_config,
    "models": cmd_models,
    "serve": cmd_serve,
    "mcp": lambda args: __import__("agent.mcp_cli", fromlist=["run"]).run(args),
}


def quiet_tracing_logs() -> None:
    """LangSmith reports failed uploads on stderr, with a prefix of the key; tracing must not be noisy."""
    import logging

    logging.getLogger("langsmith").setLevel(logging.CRITICAL)


def _output_closed() -> int:
    """Whoever read our output stopped (`agent config | head -1`): normal, so exit 0 quietly.

    Python's recipe: point stdout at devnull, so the flush at exit does not fail again.
    """
    import os

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # --help ends here, before anything heavier is imported
    if argv is None and args.command in ("run", "chat"):  # the real command line only
        gc.disable()  # loading modules allocates much and frees little; build_graph turns collection back on
    from agent.logs import configure_stderr
    from graphs.run_lock import ThreadBusy

    if argv is None:  # the real command line: Ctrl-C stops waits on other threads too
        from graphs.background import stop_on_interrupt

        stop_on_interrupt()
    configure_stderr()
    quiet_tracing_logs()
    try:
        code = COMMANDS[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except BrokenPipeError:
        return _output_closed()
    except ConfigError as err:
        print(f"agent: configuration error: {err}", file=sys.stderr)
        return EXIT_CONFIG
    except UsageError as err:
        print(f"agent: usage error: {err}", file=sys.stderr)
        return EXIT_CONFIG
    except NotFound as err:
        print(f"agent: {err}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except ThreadBusy as err:
        print(f"agent: {err}", file=sys.stderr)
        return EXIT_BUSY
    except KeyboardInterrupt:
        print("\nagent: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


__all__ = [
    "EXIT_BOUND",
    "EXIT_CONFIG",
    "EXIT_MODEL",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "ConfigError",
    "NotFound",
    "UsageError",
    "build_parser",
    "main",
]
