# Corral's Python runtime: the Lambda Runtime API client every python3.N function runs under.
# Embedded into the corral binary (Sources/CorralRuntime/Bootstraps+Embedded.swift, made by embed.sh) and
# mounted read-only at /var/runtime/bootstrap.py. Handler "module.function" from _HANDLER; the function's
# code is at LAMBDA_TASK_ROOT (/var/task), which is also the working directory.
import http.client
import importlib
import json
import os
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
BASE = "/2018-06-01/runtime"


HOST, _, PORT = API.rpartition(":")
_connection = None


def request(method, path, body=None, headers=None):
    """One Runtime API call over a kept-alive connection (reopened once if the server closed it)."""
    global _connection
    for attempt in (1, 2):
        if _connection is None:
            _connection = http.client.HTTPConnection(HOST, int(PORT))
        try:
            _connection.request(method, BASE + path, body=body, headers=headers or {})
            response = _connection.getresponse()
            data = response.read()
            if response.getheader("Connection", "").lower() == "close":
                _connection.close()
                _connection = None
            return response, data
        except (http.client.HTTPException, ConnectionError, OSError):
            _connection.close()
            _connection = None
            if attempt == 2:
                raise


def error_body(exc, error_type=None):
    return json.dumps({
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__) if exc.__traceback__ else [],
    }).encode()


class Context:
    def __init__(self, headers):
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn", "")
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms", "0") or 0)
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        client_context = headers.get("Lambda-Runtime-Client-Context")
        self.client_context = json.loads(client_context) if client_context else None
        identity = headers.get("Lambda-Runtime-Cognito-Identity")
        self.identity = json.loads(identity) if identity else None

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def load_handler():
    spec = os.environ.get("_HANDLER", "")
    module_name, _, function_name = spec.rpartition(".")
    if not module_name or not function_name:
        raise ValueError("Bad handler '%s': expected module.function" % spec)
    try:
        module = importlib.import_module(module_name.replace("/", "."))
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
        request("POST", "/init/error", json.dumps({"errorMessage": message, "errorType": kind, "stackTrace": []}).encode(),
                {"Lambda-Runtime-Function-Error-Type": kind})
        sys.exit(1)
    except Exception as exc:
        request("POST", "/init/error", error_body(exc, "Runtime.Unknown"), {"Lambda-Runtime-Function-Error-Type": "Runtime.Unknown"})
        sys.exit(1)
    while True:
        response, body = request("GET", "/invocation/next")
        headers = {k: v for k, v in response.getheaders()}
        context = Context(headers)
        os.environ["_X_AMZN_TRACE_ID"] = headers.get("Lambda-Runtime-Trace-Id", "")
        try:
            event = json.loads(body) if body else None
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
            payload = result if isinstance(result, (bytes, bytearray)) else json.dumps(result).encode()
        except (TypeError, ValueError) as exc:
            request("POST", "/invocation/%s/error" % context.aws_request_id, error_body(exc, "Runtime.MarshalError"))
            continue
        request("POST", "/invocation/%s/response" % context.aws_request_id, bytes(payload), {"Content-Type": "application/json"})


if __name__ == "__main__":
    main()
