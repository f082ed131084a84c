"""``python -m agent.service [--host H] [--port P]``: the same as ``python -m agent serve``."""

from __future__ import annotations

import argparse

from agent.serve import add_parser, run
from agent.settings import Settings


def main() -> int:
    parser = argparse.ArgumentParser(prog="agent-service")
    args = add_parser(parser.add_subparsers(dest="command")).parse_args()
    return run(args, Settings())


if __name__ == "__main__":
    raise SystemExit(main())
