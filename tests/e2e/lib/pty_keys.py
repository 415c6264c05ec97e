"""Types a key into `llm-tester keys set NAME` through a pseudo-terminal and prints
everything the terminal showed (used by tests/e2e/keys.sh to prove there is no echo).
Usage: pty_keys.py LLMT_BIN NAME VALUE"""
import os
import pty
import sys
import time

binary, name, value = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(binary, [binary, "keys", "set", name])
seen = b""
deadline = time.time() + 10
typed = False
while time.time() < deadline:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
    if not typed and b"input hidden" in seen:
        time.sleep(0.1)  # the prompt is written before echo is switched off
        os.write(fd, value.encode() + b"\n")
        typed = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 99)
