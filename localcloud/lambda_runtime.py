"""Local Lambda service: runs deployed functions from their zips in warm worker processes.

Each function version (name + CodeSha256) gets its code extracted once and a pool of worker
processes (``worker.py``), each serving one invocation at a time, replaced when it crashes, times
out or exceeds the function's memory or ephemeral storage. Invocations are logged Lambda-style
(START/END/REPORT) to ``<state>/logs/<function>.log`` together with the function's own output.

Each worker calls AWS as its function's execution role: it gets the role's temporary credentials
(``LambdaService.credentials``; the runtime assumes the role in the emulator's STS) in
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``, as on Lambda, and is replaced by
a worker with fresh credentials before they expire.

Lambda's size limits apply: a request over 6 MB (synchronous) or 1 MB (asynchronous) is refused
(``PayloadTooLarge``), a response over 6 MB fails the invocation (``Function.ResponseSizeTooLarge``),
and each worker's ``TMPDIR`` — its ``/tmp`` — is held to the function's ephemeral storage.
"""

from __future__ import annotations

import io
import json
import logging
import os
import queue
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.settings import LocalCloudSettings

log = logging.getLogger("localcloud.lambda")
WORKER = Path(__file__).resolve().parent / "worker.py"
#: Workers per function at most, whatever the concurrency settings: the machine has 2 cores.
MAX_WORKERS = int(os.environ.get("LOCAL_MAX_WORKERS_PER_FUNCTION", "2"))
#: Lambda retries failed asynchronous invocations twice (after ~1 and ~2 minutes on AWS).
ASYNC_RETRY_DELAYS = [float(x) for x in os.environ.get("LOCAL_ASYNC_RETRY_DELAYS", "1,2").split(",") if x]
#: Lambda's invocation payload limits (Lambda's "MB" is 1,024 KB): 6 MB for a synchronous request,
#: 1 MB for an asynchronous one (the Invoke API reference today; older pages say 256 KB), and
#: 6 MB + 100 bytes, as Lambda measures it, for a response.
MAX_SYNC_REQUEST_BYTES = 6 * 1024 * 1024
MAX_ASYNC_REQUEST_BYTES = 1024 * 1024
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100
#: /tmp of a function without an ephemeral storage setting, in MB.
DEFAULT_EPHEMERAL_STORAGE_MB = 512
#: Seconds between two measurements of a busy worker's TMPDIR at least (more if measuring is slow).
STORAGE_CHECK_SECONDS = 0.25
#: Lifetime of a worker's role credentials (sts:AssumeRole's default and a role's default maximum).
CREDENTIAL_SECONDS = 3600
#: A worker is retired, for one with fresh credentials, this long before its credentials expire.
CREDENTIAL_MARGIN_SECONDS = 300


class PayloadTooLarge(ValueError):
    """An invocation request over Lambda's payload limit: refused before it reaches the function
    (on AWS: RequestEntityTooLargeException, HTTP 413)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"Request must be smaller than {limit} bytes for the InvokeFunction operation")
        self.size, self.limit = size, limit


@dataclass(frozen=True)
class FunctionConfig:
    name: str
    arn: str
    handler: str
    runtime: str
    timeout: int
    memory_mb: int
    environment: dict[str, str]
    code_sha: str
    reserved_concurrency: int | None = None
    dead_letter_arn: str | None = None
    ephemeral_storage_mb: int = DEFAULT_EPHEMERAL_STORAGE_MB
    #: The execution role: the worker calls AWS with its credentials.
    role_arn: str = ""


@dataclass(frozen=True)
class RoleCredentials:
    """A function's credentials (Lambda passes them in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
    AWS_SESSION_TOKEN) and when they expire (epoch seconds)."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: float

    def environment(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }


@dataclass
class InvokeResult:
    payload: bytes
    error: dict[str, Any] | None = None  # errorType/errorMessage/stackTrace
    duration_ms: float = 0.0
    max_rss_mb: int = 0
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def failed(self) -> bool:
        return self.error is not None


class WorkerDied(RuntimeError):
    pass


class Worker:
    def __init__(
        self,
        config: FunctionConfig,
        code_dir: Path,
        settings: LocalCloudSettings,
        log_path: Path,
        credentials: RoleCredentials | None = None,
    ) -> None:
        self.config = config
        #: When this environment's credentials expire (never without role credentials).
        self.expires_at = credentials.expires_at if credentials else float("inf")
        parent, child = socket.socketpair()
        self.sock = parent
        #: This execution environment's /tmp: its own directory, held to the ephemeral storage size.
        self.tmp_dir = settings.state_dir / "tmp" / f"{config.name}-{uuid.uuid4().hex[:12]}"
        self.tmp_dir.mkdir(parents=True)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "HOME": str(settings.state_dir),
            **settings.client_env(),
            **(credentials.environment() if credentials else {}),
            **config.environment,
            "AWS_LAMBDA_FUNCTION_NAME": config.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(config.timeout),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{config.name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
            "LAMBDA_TASK_ROOT": str(code_dir),
            "_HANDLER": config.handler,
            "LOCAL_FUNCTION_ARN": config.arn,
            "TMPDIR": str(self.tmp_dir),
        }
        self.log_file = open(log_path, "ab", buffering=0)  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", str(WORKER), str(child.fileno()), str(code_dir), config.handler],
            pass_fds=[child.fileno()],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            cwd=str(code_dir),
        )
        child.close()

    def alive(self) -> bool:
        return self.process.poll() is None

    def fresh(self) -> bool:
        """Whether its credentials outlast one more invocation, with a margin."""
        return time.time() + self.config.timeout + CREDENTIAL_MARGIN_SECONDS < self.expires_at

    def invoke(self, payload: bytes, request_id: str) -> InvokeResult:
        started = time.time()
        deadline = started + self.config.timeout
        request = json.dumps({"payload": payload.decode(), "request_id": request_id, "deadline": deadline}).encode()
        self.sock.sendall(struct.pack(">I", len(request)) + request)
        done = threading.Event()
        box: dict[str, Any] = {}

        def read() -> None:
            try:
                box["response"] = self._read()
            except Exception as exc:
                box["exc"] = exc
            done.set()

        threading.Thread(target=read, daemon=True).start()
        peak = 0
        next_storage_check = time.monotonic() + STORAGE_CHECK_SECONDS

        def runtime_failure(error_type: str, message: str) -> InvokeResult:
            self.kill()
            error = {"errorType": error_type, "errorMessage": message, "stackTrace": []}
            return InvokeResult(json.dumps(error).encode(), error, _ms(started), peak, request_id)

        while not done.wait(0.05):
            peak = max(peak, self._rss_mb())
            if peak > self.config.memory_mb:
                return runtime_failure("Runtime.OutOfMemory", f"memory {peak} MB exceeds {self.config.memory_mb} MB")
            if time.time() > deadline:
                return runtime_failure("Sandbox.Timedout", f"Task timed out after {self.config.timeout:.2f} seconds")
            if time.monotonic() >= next_storage_check:
                measured = time.monotonic()
                over = self._storage_exceeded()
                if over:
                    return runtime_failure(*over)
                next_storage_check = time.monotonic() + max(STORAGE_CHECK_SECONDS, 20 * (time.monotonic() - measured))
        response = box.get("response")
        if response is None:
            return runtime_failure("Runtime.ExitError", f"Runtime exited with status {self.process.poll()}")
        peak = max(peak, int(response.get("max_rss_mb", 0)))
        over = self._storage_exceeded()
        if over:  # what the function left in /tmp: the next invocation gets a fresh environment
            return runtime_failure(*over)
        error = response.get("error")
        payload = json.dumps(error).encode() if error else response["payload"].encode()
        if error is None and len(payload) > MAX_RESPONSE_BYTES:
            error = {
                "errorType": "Function.ResponseSizeTooLarge",
                "errorMessage": "Response payload size exceeded maximum allowed payload size "
                f"({MAX_RESPONSE_BYTES} bytes).",
            }
            payload = json.dumps(error).encode()
        return InvokeResult(payload, error, _ms(started), peak, request_id)

    def _storage_exceeded(self) -> tuple[str, str] | None:
        """An error when the worker's TMPDIR holds more than the function's ephemeral storage. AWS
        fails the write that crosses the limit (ENOSPC); the local cloud measures the directory while
        the function runs and when it returns, and fails the invocation instead."""
        used = _dir_bytes(self.tmp_dir)
        limit_mb = self.config.ephemeral_storage_mb
        if used <= limit_mb * 1024 * 1024:
            return None
        return (
            "LocalCloud.EphemeralStorageExceeded",
            f"No space left on device: /tmp (TMPDIR) holds {used / 1024 / 1024:.1f} MB, more than the "
            f"function's ephemeral storage of {limit_mb} MB (on AWS the write that crosses it fails with ENOSPC)",
        )

    def _read(self) -> dict[str, Any] | None:
        header = self.sock.recv(4, socket.MSG_WAITALL)
        if len(header) < 4:
            return None
        (size,) = struct.unpack(">I", header)
        data = bytearray()
        while len(data) < size:
            chunk = self.sock.recv(min(size - len(data), 1 << 20))
            if not chunk:
                return None
            data += chunk
        return json.loads(data)

    def _rss_mb(self) -> int:
        try:
            with open(f"/proc/{self.process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) // 1024
        except OSError:
            pass
        return 0

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait()
        self.sock.close()
        self.log_file.close()
        shutil.rmtree(self.tmp_dir, ignore_errors=True)  # the environment's /tmp goes with it


def _ms(started: float) -> float:
    return (time.time() - started) * 1000


def _dir_bytes(root: Path) -> int:
    """Bytes in the files under ``root`` (their sizes; files removed meanwhile are skipped)."""
    total = 0
    pending = [str(root)]
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            pending.append(entry.path)
                        else:
                            total += entry.stat(follow_symlinks=False).st_size
                    except OSError:
                        continue
        except OSError:
            continue
    return total


class FunctionPool:
    """Warm workers of one function version, at most ``limit`` busy at once."""

    def __init__(
        self,
        config: FunctionConfig,
        code_dir: Path,
        settings: LocalCloudSettings,
        credentials: Callable[[FunctionConfig], RoleCredentials | None] = lambda config: None,
    ) -> None:
        self.config = config
        self.code_dir = code_dir
        self.settings = settings
        self.credentials = credentials
        self.limit = max(1, min(MAX_WORKERS, config.reserved_concurrency or MAX_WORKERS))
        self.slots = threading.Semaphore(self.limit)
        self.idle: list[Worker] = []
        self.lock = threading.Lock()
        self.log_path = settings.logs_dir / f"{config.name}.log"

    def invoke(self, payload: bytes) -> InvokeResult:
        request_id = str(uuid.uuid4())
        with self.slots:
            with self.lock:
                worker = self.idle.pop() if self.idle else None
            if worker is not None and not (worker.alive() and worker.fresh()):
                worker.kill()  # crashed while idle, or its credentials expire soon: a new environment
                worker = None
            if worker is None:
                try:
                    credentials = self.credentials(self.config)
                except Exception as exc:  # e.g. a role whose trust policy does not allow Lambda
                    return self._refused(request_id, exc)
                worker = Worker(self.config, self.code_dir, self.settings, self.log_path, credentials)
            self._log(f"START RequestId: {request_id} Version: $LATEST")
            result = worker.invoke(payload, request_id)
            result.request_id = request_id
            if result.failed:
                self._log(f"ERROR RequestId: {request_id} {result.error['errorType']}: {result.error['errorMessage']}")  # type: ignore[index]
            self._log(f"END RequestId: {request_id}")
            self._log(
                f"REPORT RequestId: {request_id}\tDuration: {result.duration_ms:.2f} ms\t"
                f"Memory Size: {self.config.memory_mb} MB\tMax Memory Used: {result.max_rss_mb} MB"
            )
            if worker.alive():
                with self.lock:
                    self.idle.append(worker)
        return result

    def _refused(self, request_id: str, exc: Exception) -> InvokeResult:
        error = {"errorType": "Lambda.AccessDeniedException", "errorMessage": str(exc), "stackTrace": []}
        self._log(f"ERROR RequestId: {request_id} {error['errorType']}: {error['errorMessage']}")
        return InvokeResult(json.dumps(error).encode(), error, request_id=request_id)

    def _log(self, line: str) -> None:
        with open(self.log_path, "a") as out:
            out.write(line + "\n")

    def close(self) -> None:
        with self.lock:
            for worker in self.idle:
                worker.kill()
            self.idle.clear()


class LambdaService:
    """Synchronous and asynchronous invocation of deployed functions."""

    def __init__(self, settings: LocalCloudSettings) -> None:
        self.settings = settings
        self.pools: dict[tuple[str, str], FunctionPool] = {}
        self.lock = threading.Lock()
        self.async_queue: queue.Queue[tuple[FunctionConfig, Callable[[], bytes], bytes, int] | None] = queue.Queue()
        self._async_threads: list[threading.Thread] = []
        #: A function's role credentials for its workers; None: the local admin's (settings.py).
        self.credentials: Callable[[FunctionConfig], RoleCredentials | None] = lambda config: None
        settings.logs_dir.mkdir(parents=True, exist_ok=True)
        settings.code_dir.mkdir(parents=True, exist_ok=True)

    def start(self, async_workers: int = 4) -> None:
        for _ in range(async_workers):
            thread = threading.Thread(target=self._async_loop, daemon=True, name="lambda-async")
            thread.start()
            self._async_threads.append(thread)

    def pool(self, config: FunctionConfig, code: Callable[[], bytes]) -> FunctionPool:
        key = (config.name, config.code_sha)
        with self.lock:
            pool = self.pools.get(key)
            if pool is not None and pool.config == config:
                return pool
            for old_key in [k for k in self.pools if k[0] == config.name]:
                self.pools.pop(old_key).close()  # redeployed: retire the old version's workers
            code_dir = self.settings.code_dir / config.name / config.code_sha.replace("/", "_").replace("+", "-")
            if not (code_dir / ".extracted").exists():
                shutil.rmtree(code_dir, ignore_errors=True)
                code_dir.mkdir(parents=True)
                zipfile.ZipFile(io.BytesIO(code())).extractall(code_dir)
                (code_dir / ".extracted").touch()
            pool = self.pools[key] = FunctionPool(config, code_dir, self.settings, self.credentials)
            return pool

    def invoke(self, config: FunctionConfig, code: Callable[[], bytes], payload: bytes) -> InvokeResult:
        """Synchronous invocation; raises PayloadTooLarge over Lambda's 6 MB request limit."""
        if len(payload) > MAX_SYNC_REQUEST_BYTES:
            raise PayloadTooLarge(len(payload), MAX_SYNC_REQUEST_BYTES)
        return self.pool(config, code).invoke(payload)

    def invoke_async(self, config: FunctionConfig, code: Callable[[], bytes], payload: bytes) -> None:
        """Queue an asynchronous invocation; raises PayloadTooLarge over Lambda's 1 MB async limit."""
        if len(payload) > MAX_ASYNC_REQUEST_BYTES:
            raise PayloadTooLarge(len(payload), MAX_ASYNC_REQUEST_BYTES)
        self.async_queue.put((config, code, payload, 0))

    def _async_loop(self) -> None:
        while True:
            item = self.async_queue.get()
            if item is None:
                return
            config, code, payload, attempt = item
            result = self.invoke(config, code, payload)
            if not result.failed:
                continue
            if attempt < len(ASYNC_RETRY_DELAYS):
                delay = ASYNC_RETRY_DELAYS[attempt]
                log.warning("async invoke of %s failed (attempt %d), retrying in %ss", config.name, attempt + 1, delay)
                timer = threading.Timer(delay, self.async_queue.put, args=((config, code, payload, attempt + 1),))
                timer.daemon = True
                timer.start()
            else:
                log.error("async invoke of %s failed after %d attempts: %s", config.name, attempt + 1, result.error)
                self.on_async_failure(config, payload, result)

    def on_async_failure(self, config: FunctionConfig, payload: bytes, result: InvokeResult) -> None:
        """Replaced by the runtime to deliver to the function's dead-letter target."""

    def close(self) -> None:
        for _ in self._async_threads:
            self.async_queue.put(None)
        with self.lock:
            for pool in self.pools.values():
                pool.close()
            self.pools.clear()
