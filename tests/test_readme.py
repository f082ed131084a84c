"""The README's code blocks, run as written: bash lines, Python blocks, and the JSON examples loaded.

``text`` blocks are shown, not run (output, SQL for a person to type, commands that need the network).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.S | re.M)
SKIP = ("pip install",)  # CI installs; the test runs what comes after


def blocks(lang: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [
        "\n".join(line[len(indent) :] for line in body.splitlines())
        for indent, kind, body in FENCE.findall(text)
        if kind == lang
    ]


@pytest.fixture
def env(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AGENT_", "OPENAI_", "DASHSCOPE_", "DEEPSEEK_"))}
    return {**clean, "AGENT_HOME": str(tmp_path / "home"), "AGENT_SEARCH_TIMEOUT": "2", "AGENT_SEARCH_RETRIES": "0"}


def _commands() -> list[str]:
    found = []
    for block in blocks("bash"):
        for line in block.splitlines():
            line = line.strip()
            for part in line.split(" && "):
                part = part.strip()
                if part and not part.startswith(("#", *SKIP)):
                    found.append(part)
    return found


def test_the_readme_opens_with_the_install_and_test_commands():
    first = blocks("bash")[0].splitlines()
    assert first == [
        'pip install -e . && python -m agent run "Is 3214567 prime?"',
        "pip install -e '.[dev]' && python -m pytest",
    ]


def test_every_bash_line_runs(env, tmp_path):
    """Each command of the bash blocks, in order, in one data directory (threads carry over)."""
    commands = [c for c in _commands() if c != "python -m pytest"]  # the suite is what is running this
    assert len(commands) >= 8
    for command in commands:
        argv = shlex.split(command)
        assert argv[:2] == ["python", "-m"], command
        result = subprocess.run(
            [sys.executable, *argv[1:]], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
        )
        assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        assert "Traceback" not in result.stderr, command


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_every_python_block_runs(index, env, tmp_path):
    code = blocks("python")[index]
    service = None
    if "AGENT_SERVICE_URL" in code:  # the client snippet: against a real `python -m agent serve`
        from service_proc import ServiceProcess

        service = ServiceProcess(env)
        env = {**env, "AGENT_SERVICE_URL": service.url}
    try:
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180
        )
    finally:
        if service is not None:
            service.stop()
    assert result.returncode == 0, f"{code}\n{result.stderr[-3000:]}"


def test_every_json_example_loads(env, tmp_path, monkeypatch):
    from agent.mcp.config import MCPConfig
    from graphs.llm import load_model_file

    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-example")
    monkeypatch.setenv("MCP_TOKEN", "example-token")
    examples = [json.loads(b) for b in blocks("json")]
    assert len(examples) >= 3
    for example in examples:
        if "mcpServers" in example:
            assert MCPConfig.model_validate(example).enabled()
        else:
            path = tmp_path / "model.json"
            path.write_text(json.dumps(example))
            assert load_model_file(path).model


def test_nothing_refers_to_files_outside_the_repository():
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT).stdout.split()
    outside = re.compile(r"\.\./" + "shared|/" + "work/|/" + "tmp/[a-z]+/")  # in parts: this file is not a match
    found = []
    for name in tracked:
        path = ROOT / name
        if path.suffix in (".py", ".md", ".toml", ".json", ".txt", ".cfg", "") and path.is_file():
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if outside.search(line):
                    found.append(f"{name}:{number}: {line.strip()[:100]}")
    assert found == []
