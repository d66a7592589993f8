# Corral's Python runtime: the Lambda Runtime API client every python3.N function runs under.
# Embedded into the corral binary (Sources/CorralRuntime/Bootstraps+Embedded.swift, made by embed.sh) and
# mounted read-only at /var/runtime/bootstrap.py. Handler "module.function" from _HANDLER; the function's
# code is at LAMBDA_TASK_ROOT (/var/task), which is also the working directory.
#
# Every import here is paid by every cold start. http.client (email, re, ...) and json (re) took a bare
# interpreter from 16 ms to 74 ms, so the Runtime API is spoken over the C socket module and JSON goes
# through the C accelerator _json; the json package is imported only if _json is missing or differs.
import _socket
import os
import sys
import time

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
BASE = "/2018-06-01/runtime"
HOST, _, PORT = API.rpartition(":")


class Connection:
    """HTTP/1.1 with keep-alive to the Runtime API: requests with Content-Length, responses with
    Content-Length or chunked bodies."""

    def __init__(self):
        self.sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        self.sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        self.sock.connect((HOST, int(PORT)))
        self.buffer = b""

    def close(self):
        self.sock.close()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the Runtime API closed the connection")
        self.buffer += chunk

    def _line(self):
        while b"\r\n" not in self.buffer:
            self._fill()
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def _take(self, size):
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def request(self, method, path, body=None, headers=None):
        lines = ["%s %s%s HTTP/1.1" % (method, BASE, path), "Host: " + API]
        for name, value in (headers or {}).items():
            lines.append("%s: %s" % (name, value))
        if body is not None:
            lines.append("Content-Length: %d" % len(body))
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        status = int(self._line().split(b" ", 2)[1])
        fields = {}
        while True:
            line = self._line()
            if not line:
                break
            name, _, value = line.decode("latin-1").partition(":")
            fields[name.strip().lower()] = value.strip()
        if fields.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                data += self._take(size)
                self._take(2)
        else:
            data = self._take(int(fields.get("content-length", "0")))
        return status, fields, data


_connection = None


def request(method, path, body=None, headers=None):
    """One Runtime API call over a kept-alive connection (reopened once if the server closed it).
    Returns (status, headers with lower-case names, body)."""
    global _connection
    for attempt in (1, 2):
        try:
            if _connection is None:
                _connection = Connection()
            status, fields, data = _connection.request(method, path, body, headers)
            if fields.get("connection", "").lower() == "close":
                _connection.close()
                _connection = None
            return status, fields, data
        except (ConnectionError, OSError, ValueError, IndexError):
            if _connection is not None:
                _connection.close()
            _connection = None
            if attempt == 2:
                raise


def _json_codec():
    """(loads, dumps) with json's semantics: from the C accelerator when it is there, else from json."""
    try:
        import _json

        class Decoding:
            strict = True
            object_hook = None
            object_pairs_hook = None
            parse_float = float
            parse_int = int

            @staticmethod
            def parse_constant(name):
                return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]

        scan = _json.make_scanner(Decoding)
        space = " \t\n\r"

        def loads(text):
            if isinstance(text, (bytes, bytearray)):
                text = bytes(text).decode("utf-8")
            start = len(text) - len(text.lstrip(space))
            try:
                value, end = scan(text, start)
            except StopIteration as stop:
                raise ValueError("Expecting value: char %d" % stop.value) from None
            if text[end:].strip(space):
                raise ValueError("Extra data: char %d" % end)
            return value

        def refuse(value):
            raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)

        def dumps(value):
            encode = _json.make_encoder({}, refuse, _json.encode_basestring_ascii, None, ": ", ", ", False, False, True)
            return "".join(encode(value, 0))

        if loads(' {"a": [1, 2.5, "x", null, true]} ') != {"a": [1, 2.5, "x", None, True]} or dumps({"a": [1, "\u00e9"]}) != '{"a": [1, "\\u00e9"]}':
            raise ImportError("_json differs")
        return loads, dumps
    except (ImportError, AttributeError, TypeError, ValueError):
        import json
        return json.loads, json.dumps


json_loads, json_dumps = _json_codec()


def error_body(exc, error_type=None):
    import traceback  # only on errors: it imports tokenize and re
    return json_dumps({
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__) if exc.__traceback__ else [],
    }).encode()


class Context:
    # What does not change between invocations is read from the environment once.
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
    function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
    log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
    log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")

    def __init__(self, headers):
        self.aws_request_id = headers.get("lambda-runtime-aws-request-id", "")
        self.invoked_function_arn = headers.get("lambda-runtime-invoked-function-arn", "")
        self._deadline_ms = int(headers.get("lambda-runtime-deadline-ms", "0") or 0)
        client_context = headers.get("lambda-runtime-client-context")
        self.client_context = json_loads(client_context) if client_context else None
        identity = headers.get("lambda-runtime-cognito-identity")
        self.identity = json_loads(identity) if identity else None

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def load_handler():
    spec = os.environ.get("_HANDLER", "")
    module_name, _, function_name = spec.rpartition(".")
    if not module_name or not function_name:
        raise ValueError("Bad handler '%s': expected module.function" % spec)
    try:
        # __import__ rather than importlib.import_module: importlib's package costs 2.5 ms of every cold
        # start. A non-empty fromlist makes it return the named (sub)module itself.
        module = __import__(module_name.replace("/", "."), fromlist=["__name__"])
    except Exception as exc:
        kind = "Runtime.UserCodeSyntaxError" if isinstance(exc, SyntaxError) else "Runtime.ImportModuleError"
        raise RuntimeError(kind, "Unable to import module '%s': %s" % (module_name, exc)) from exc
    handler = getattr(module, function_name, None)
    if handler is None:
        raise RuntimeError("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (function_name, module_name))
    return handler


def main():
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", "/var/task"))
    try:
        handler = load_handler()
    except RuntimeError as exc:
        kind, message = exc.args
        print("[ERROR] %s: %s" % (kind, message), file=sys.stderr, flush=True)
        request("POST", "/init/error", json_dumps({"errorMessage": message, "errorType": kind, "stackTrace": []}).encode(),
                {"Lambda-Runtime-Function-Error-Type": kind})
        sys.exit(1)
    except Exception as exc:
        request("POST", "/init/error", error_body(exc, "Runtime.Unknown"), {"Lambda-Runtime-Function-Error-Type": "Runtime.Unknown"})
        sys.exit(1)
    while True:
        status, headers, body = request("GET", "/invocation/next")
        if status != 200:
            # The environment is shutting down (Corral answers a waiting invocation/next so): there is no
            # event, so the handler must not run. Leave quietly; the sandbox is being stopped anyway.
            sys.exit(0)
        context = Context(headers)
        os.environ["_X_AMZN_TRACE_ID"] = headers.get("lambda-runtime-trace-id", "")
        try:
            event = json_loads(body) if body else None
        except ValueError as exc:
            request("POST", "/invocation/%s/error" % context.aws_request_id, error_body(exc, "Runtime.UnmarshalError"))
            continue
        try:
            result = handler(event, context)
        except Exception as exc:
            print("[ERROR] %s: %s" % (type(exc).__name__, exc), file=sys.stderr, flush=True)
            request("POST", "/invocation/%s/error" % context.aws_request_id, error_body(exc),
                    {"Content-Type": "application/json"})
            continue
        try:
            payload = result if isinstance(result, (bytes, bytearray)) else json_dumps(result).encode()
        except (TypeError, ValueError) as exc:
            request("POST", "/invocation/%s/error" % context.aws_request_id, error_body(exc, "Runtime.MarshalError"))
            continue
        request("POST", "/invocation/%s/response" % context.aws_request_id, bytes(payload), {"Content-Type": "application/json"})


if __name__ == "__main__":
    main()
