"""Jobs for the sandbox tests (module-level, so worker processes can import them)."""

from __future__ import annotations

import os
import sys


def spin_after_writing_pid(path: str) -> None:
    with open(path, "w") as handle:
        handle.write(str(os.getpid()))
    while True:
        pass


if __name__ == "__main__":  # a caller that dies in the middle of a computation
    import threading
    import time

    from tools.sandbox import Sandbox

    sandbox = Sandbox()
    threading.Thread(
        target=sandbox.run, args=(spin_after_writing_pid, sys.argv[1]), kwargs={"timeout": 2}, daemon=True
    ).start()
    while not os.path.exists(sys.argv[1]):
        time.sleep(0.05)
    os._exit(0)  # no cleanup, as if killed
