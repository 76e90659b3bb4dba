"""Local cloud CLI: ``python -m localcloud {up,down,status,serve,logs,fire-rule,env}``."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from localcloud.settings import ROOT, LocalCloudSettings

START_TIMEOUT_S = 60


def _health(settings: LocalCloudSettings) -> dict | None:
    try:
        with urllib.request.urlopen(f"{settings.endpoint}/_localcloud/health", timeout=2) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _pid(settings: LocalCloudSettings) -> int | None:
    try:
        pid = int(settings.pid_file.read_text())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None


def up(settings: LocalCloudSettings) -> int:
    if _pid(settings) and _health(settings):
        print(f"local cloud already running on {settings.endpoint} (pid {_pid(settings)})")
        return 0
    if _health(settings):
        print(f"error: port {settings.port} answers but is not our local cloud; set LOCAL_PORT", file=sys.stderr)
        return 1
    # A fresh emulator has no resources: start from a clean state dir (code, logs, local tfstate).
    shutil.rmtree(settings.state_dir, ignore_errors=True)
    settings.state_dir.mkdir(parents=True)
    log = open(settings.log_file, "ab")  # noqa: SIM115 - handed to the child
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "serve"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: `down` stops it and its Lambda workers
        env={**os.environ, "LOCAL_PORT": str(settings.port), "LOCAL_STATE_DIR": str(settings.state_dir)},
    )
    settings.pid_file.write_text(str(process.pid))
    deadline = time.time() + START_TIMEOUT_S
    while time.time() < deadline:
        if process.poll() is not None:
            print(f"error: the local cloud exited with {process.returncode}; see {settings.log_file}", file=sys.stderr)
            print(settings.log_file.read_text()[-2000:], file=sys.stderr)
            return 1
        if _health(settings):
            print(f"local cloud running on {settings.endpoint} (pid {process.pid}, logs {settings.log_file})")
            print(f"  aws --endpoint-url {settings.endpoint} s3 ls")
            print('  or, for any SDK or CLI in this shell: eval "$(python -m localcloud env)"')
            return 0
        time.sleep(0.2)
    print(f"error: the local cloud did not answer within {START_TIMEOUT_S}s; see {settings.log_file}", file=sys.stderr)
    down(settings)
    return 1


def down(settings: LocalCloudSettings) -> int:
    pid = _pid(settings)
    if pid is None:
        print("local cloud is not running")
        settings.pid_file.unlink(missing_ok=True)
        return 0
    os.killpg(pid, signal.SIGTERM)
    deadline = time.time() + 10
    while time.time() < deadline and _pid(settings):
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)  # anything left in the group (workers, Spark)
    settings.pid_file.unlink(missing_ok=True)
    print(f"local cloud stopped (pid {pid})")
    return 0


def status(settings: LocalCloudSettings) -> int:
    pid, health = _pid(settings), _health(settings)
    if pid and health:
        print(f"running on {settings.endpoint} (pid {pid}); state in {settings.state_dir}")
        return 0
    print("not running" if not pid else f"pid {pid} exists but {settings.endpoint} does not answer")
    return 3


def _function_log(settings: LocalCloudSettings, function: str) -> Path:
    """A function's log by full name, or by its short name (``ingest`` → ``elt-local-ingest``)."""
    exact = settings.logs_dir / f"{function}.log"
    if exact.exists() or not settings.logs_dir.exists():
        return exact
    matches = sorted(settings.logs_dir.glob(f"*-{function}.log"))
    return matches[0] if len(matches) == 1 else exact


def logs(settings: LocalCloudSettings, function: str | None, lines: int) -> int:
    path = settings.log_file if not function else _function_log(settings, function)
    if not path.exists():
        known = sorted(p.stem for p in settings.logs_dir.glob("*.log")) if settings.logs_dir.exists() else []
        print(f"no log at {path}; functions with logs: {', '.join(known) or 'none yet'}", file=sys.stderr)
        return 1
    print("\n".join(path.read_text(errors="replace").splitlines()[-lines:]))
    return 0


def fire_rule(settings: LocalCloudSettings, name: str) -> int:
    request = urllib.request.Request(f"{settings.endpoint}/_localcloud/fire-rule/{name}", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            print(f"fired rule {name}: {json.loads(response.read())['targets']} target(s)")
            return 0
    except urllib.error.HTTPError as exc:
        print(f"error: {json.loads(exc.read()).get('error')}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start the emulator in the background (fresh state) and wait until healthy")
    sub.add_parser("down", help="stop the emulator and its workers")
    sub.add_parser("status", help="say whether the emulator runs (exit 0) or not (exit 3)")
    sub.add_parser("serve", help="run the emulator in the foreground (what `up` starts)")
    sub.add_parser("env", help="print shell exports for AWS SDKs/CLI to use the local cloud")
    p_logs = sub.add_parser("logs", help="show the emulator's log, or a function's with --function")
    p_logs.add_argument("--function", "-f", help="function name (e.g. elt-local-ingest)")
    p_logs.add_argument("--lines", "-n", type=int, default=100)
    p_fire = sub.add_parser("fire-rule", help="deliver a scheduled event to an EventBridge rule's targets now")
    p_fire.add_argument("name")
    args = parser.parse_args(argv)
    settings = LocalCloudSettings()
    if args.command == "serve":
        from localcloud.server import serve

        serve(settings)
        return 0
    if args.command == "env":
        print("\n".join(f"export {k}={v}" for k, v in settings.client_env().items()))
        return 0
    handlers = {"up": up, "down": down, "status": status}
    if args.command in handlers:
        return handlers[args.command](settings)
    if args.command == "logs":
        return logs(settings, args.function, args.lines)
    return fire_rule(settings, args.name)


if __name__ == "__main__":
    sys.exit(main())
