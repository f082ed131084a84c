"""Anchor: the smallest useful MCP server the SDK's own high-level API makes (mcp 2.x ``MCPServer``).

One tool, served on stdio.  The start-up benchmark times it from spawn to its
``tools/list`` answer, against our servers: what ours add at start-up (settings,
bounds, the tool registry) is the difference.  Run by path, so that nothing of
this repository is imported:

    python bench/anchors/minimal_server.py
"""

from mcp.server.mcpserver import MCPServer

server = MCPServer("minimal")


@server.tool()
def is_prime(n: int) -> bool:
    """Whether n is prime (trial division)."""
    if n < 2:
        return False
    divisor = 2
    while divisor * divisor <= n:
        if n % divisor == 0:
            return False
        divisor += 1
    return True


if __name__ == "__main__":
    server.run()
