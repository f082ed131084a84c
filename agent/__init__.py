"""The application: command line, terminal rendering, MCP client, configuration views.

Importing this package is cheap; each command imports what it needs.
"""

__all__: list[str] = []
