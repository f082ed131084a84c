"""``python -m agent serve``: the agent over HTTP, speaking the part of LangGraph's Agent Protocol
that the official ``langgraph-sdk`` client uses (see :mod:`agent.service.app`)."""
