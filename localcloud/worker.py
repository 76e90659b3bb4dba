"""One Lambda execution environment: a long-lived process that imports the handler once (the
init phase) and serves invocations, like the Lambda runtime does. Stdlib only: it runs with
``python -I -S``, so the function sees its own zip and the standard library — never the
developer's virtualenv — and a packaging mistake fails here exactly as it would on AWS.

Protocol over an inherited socket: 4-byte big-endian length + JSON, one request, one response.
"""

from __future__ import annotations

import importlib
import json
import os
import socket
import struct
import sys
import time
import traceback
from typing import Any


def _recv(sock: socket.socket) -> dict[str, Any] | None:
    header = sock.recv(4, socket.MSG_WAITALL)
    if len(header) < 4:
        return None
    (size,) = struct.unpack(">I", header)
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(min(size - len(data), 1 << 20))
        if not chunk:
            return None
        data += chunk
    return json.loads(data)


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    data = json.dumps(message).encode()
    sock.sendall(struct.pack(">I", len(data)) + data)


class Context:
    """The subset of the Lambda context object handlers and Powertools use."""

    def __init__(self, request_id: str, deadline: float) -> None:
        self.aws_request_id = request_id
        self._deadline = deadline
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = os.environ["LOCAL_FUNCTION_ARN"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def _peak_rss_mb() -> int:
    # VmHWM, not ru_maxrss: ru_maxrss survives exec and would report the emulator's peak.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return 0


def _error(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorType": error_type or type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc)[1:],
    }


def main() -> None:
    fd, code_dir, handler_spec = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    sock = socket.socket(fileno=fd)
    # The runtime's bootstrap: the function's code directory (LAMBDA_TASK_ROOT) is where its
    # handler and every package it ships are imported from (the worker runs with -I -S).
    sys.path.insert(0, code_dir)
    os.chdir(code_dir)
    module_name, _, function_name = handler_spec.rpartition(".")
    handler = None
    init_error: dict[str, Any] | None = None
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as exc:  # reported on every invocation, as Lambda does
        init_error = _error(exc, "Runtime.ImportModuleError")
        traceback.print_exc()
    while True:
        request = _recv(sock)
        if request is None:
            return
        if init_error is not None:
            response: dict[str, Any] = {"error": init_error}
        else:
            context = Context(request["request_id"], request["deadline"])
            try:
                result = handler(json.loads(request["payload"]), context)  # type: ignore[misc]
                response = {"payload": json.dumps(result)}
            except Exception as exc:
                traceback.print_exc()
                response = {"error": _error(exc)}
        sys.stdout.flush()
        sys.stderr.flush()
        response["max_rss_mb"] = _peak_rss_mb()
        _send(sock, response)


if __name__ == "__main__":
    main()
