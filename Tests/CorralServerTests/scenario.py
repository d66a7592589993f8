# Drives a running `corral serve` with boto3, as a user would, and prints one JSON object of what it saw.
# Run by ServerTests.swift: python3 scenario.py ENDPOINT PHASE (PHASE "main" or "after-restart").
import base64, importlib.util, io, json, os, sys, zipfile
import boto3, botocore

endpoint, phase = sys.argv[1], sys.argv[2]
client = boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE",
                      aws_secret_access_key="secret", config=botocore.config.Config(retries={"max_attempts": 1}, read_timeout=60))
ROLE = "arn:aws:iam::000000000000:role/lambda"
seen = {}


def zip_of(files, modes=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = ((modes or {}).get(name, 0o644) | 0o100000) << 16
            z.writestr(info, data)
    return buffer.getvalue()


def invoke(name, payload=None, **kw):
    r = client.invoke(FunctionName=name, Payload=json.dumps(payload if payload is not None else {}).encode(), LogType="Tail", **kw)
    body = r["Payload"].read()
    try:
        body = json.loads(body)
    except ValueError:
        body = body.decode(errors="replace")
    return {"status": r["StatusCode"], "error": r.get("FunctionError"), "version": r.get("ExecutedVersion"),
            "log": base64.b64decode(r.get("LogResult", "")).decode(errors="replace"), "payload": body}


def error_class(call):
    try:
        call()
        return None
    except client.exceptions.ClientError as e:
        return e.response["Error"]["Code"]


PY = b'''import os, time
def echo(event, context):
    print("echo", context.aws_request_id)
    return {"event": event, "name": context.function_name, "memory": context.memory_limit_in_mb,
            "remaining": context.get_remaining_time_in_millis(), "cwd": os.getcwd(), "uid": os.getuid(),
            "region": os.environ["AWS_REGION"], "api": os.environ["AWS_LAMBDA_RUNTIME_API"], "stage": os.environ.get("STAGE")}
def fail(event, context):
    raise ValueError("boom")
def slow(event, context):
    time.sleep(30)
def hog(event, context):
    return len(bytearray(512 << 20))
def crash(event, context):
    os._exit(3)
def big(event, context):
    return "x" * (7 << 20)
def flood(event, context):
    line = "y" * 1023
    for _ in range(24 * 1024):
        print(line)
    return "ok"
'''

if phase == "main":
    created = client.create_function(FunctionName="echo", Runtime="python3.11", Role=ROLE, Handler="app.echo",
                                     Code={"ZipFile": zip_of({"app.py": PY})}, Environment={"Variables": {"STAGE": "test"}})
    seen["create"] = {k: created[k] for k in ("FunctionName", "FunctionArn", "Version", "State", "LastUpdateStatus", "CodeSha256")}
    seen["cold"] = invoke("echo", {"n": 1})
    seen["warm"] = invoke("echo", {"n": 2})
    for handler, timeout, memory in (("fail", 3, 128), ("slow", 1, 128), ("hog", 3, 128), ("crash", 3, 128), ("big", 3, 256)):
        client.create_function(FunctionName=handler, Runtime="python3.11", Role=ROLE, Handler="app." + handler,
                               Code={"ZipFile": zip_of({"app.py": PY})}, Timeout=timeout, MemorySize=memory)
        seen[handler] = invoke(handler)
    client.create_function(FunctionName="flood", Runtime="python3.11", Role=ROLE, Handler="app.flood",
                           Code={"ZipFile": zip_of({"app.py": PY})}, Timeout=30)
    seen["flood"] = invoke("flood")
    import urllib.request
    seen["floodLogBytes"] = len(urllib.request.urlopen(endpoint + "/corral/functions/flood/logs").read())
    client.create_function(FunctionName="stuck", Runtime="provided", Role=ROLE, Handler="x",
                           Code={"ZipFile": zip_of({"bootstrap": b"#!/bin/sh\nexec sleep 60\n"}, {"bootstrap": 0o755})})
    seen["stuck"] = invoke("stuck")
    client.create_function(FunctionName="noimport", Runtime="python3.11", Role=ROLE, Handler="nomodule.handler",
                           Code={"ZipFile": zip_of({"app.py": PY})})
    seen["noimport"] = invoke("noimport")
    seen["requestTooLarge"] = error_class(lambda: client.invoke(FunctionName="echo", Payload=json.dumps({"x": "y" * (6 << 20)}).encode()))
    seen["notFound"] = error_class(lambda: client.invoke(FunctionName="nosuch"))
    seen["badZip"] = error_class(lambda: client.create_function(FunctionName="bad", Runtime="python3.11", Role=ROLE, Handler="a.b",
                                                                Code={"ZipFile": zip_of({"../escape.py": b"x"})}))
    seen["badRuntime"] = error_class(lambda: client.create_function(FunctionName="bad", Runtime="python3.99", Role=ROLE, Handler="a.b",
                                                                    Code={"ZipFile": zip_of({"a.py": b""})}))
    seen["dryRun"] = client.invoke(FunctionName="echo", InvocationType="DryRun")["StatusCode"]

    client.create_function(FunctionName="node", Runtime="nodejs20.x", Role=ROLE, Handler="index.handler",
                           Code={"ZipFile": zip_of({"index.js": b"exports.handler = async (e, c) => ({ node: process.version, e, fn: c.functionName });"})})
    seen["node"] = invoke("node", {"k": "v"})

    bootstrap = b'''#!/usr/bin/python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    body = json.dumps({"provided": True, "event": event, "handler": os.environ["_HANDLER"]}).encode()
    urllib.request.urlopen(urllib.request.Request(api + rid + "/response", data=body, method="POST")).read()
'''
    client.create_function(FunctionName="custom", Runtime="provided.al2023", Role=ROLE, Handler="my.handler",
                           Code={"ZipFile": zip_of({"bootstrap": bootstrap}, {"bootstrap": 0o755})})
    seen["provided"] = invoke("custom", {"p": 1})

    # awslambdaric vendored in the zip, started by the package's own bootstrap, unchanged.
    if importlib.util.find_spec("awslambdaric") is not None:
        files = {"app.py": b"def handler(event, context):\n    return {'ric': True, 'event': event, 'fn': context.function_name}\n",
                 "bootstrap": b'#!/bin/sh\ncd "$LAMBDA_TASK_ROOT"\nexec /usr/bin/python3 -m awslambdaric app.handler\n'}
        for module in ("awslambdaric", "runtime_client", "simplejson", "snapshot_restore_py"):
            spec = importlib.util.find_spec(module)
            if spec is None or spec.origin is None:
                continue
            if spec.submodule_search_locations:
                root = list(spec.submodule_search_locations)[0]
                for base, _, names in os.walk(root):
                    for n in names:
                        if "__pycache__" in base:
                            continue
                        path = os.path.join(base, n)
                        files[os.path.relpath(path, os.path.dirname(root))] = open(path, "rb").read()
            else:
                files[os.path.basename(spec.origin)] = open(spec.origin, "rb").read()
        client.create_function(FunctionName="ric", Runtime="provided.al2", Role=ROLE, Handler="app.handler",
                               Code={"ZipFile": zip_of(files, {"bootstrap": 0o755})})
        seen["ric"] = invoke("ric", {"r": 1})
    else:
        seen["ric"] = "awslambdaric is not installed for this python"

    # Versions and an alias routing 30% to version 2.
    v1 = client.publish_version(FunctionName="echo")["Version"]
    client.update_function_configuration(FunctionName="echo", Environment={"Variables": {"STAGE": "v2"}})
    v2 = client.publish_version(FunctionName="echo")["Version"]
    client.create_alias(FunctionName="echo", Name="live", FunctionVersion=v1, RoutingConfig={"AdditionalVersionWeights": {v2: 0.3}})
    counts = {}
    for _ in range(30):
        r = invoke("echo", Qualifier="live")
        counts[r["version"]] = counts.get(r["version"], 0) + 1
    seen["versions"] = [v1, v2]
    seen["aliasCounts"] = counts
    seen["v2stage"] = invoke("echo:" + v2)["payload"]["stage"]
elif phase == "drain-setup":
    client.create_function(FunctionName="sleeper", Runtime="python3.11", Role=ROLE, Handler="app.handler", Timeout=10,
                           Code={"ZipFile": zip_of({"app.py": b"import time\ndef handler(e, c):\n    time.sleep(2)\n    return 'done'\n"})})
    seen["warm"] = invoke("sleeper")["payload"]
elif phase == "drain-invoke":
    seen["drained"] = invoke("sleeper")["payload"]
else:
    seen["functions"] = sorted(f["FunctionName"] for f in client.list_functions()["Functions"])
    seen["aliasVersion"] = client.get_alias(FunctionName="echo", Name="live")["FunctionVersion"]
    seen["afterRestart"] = invoke("echo", {"again": True})

print(json.dumps(seen))
