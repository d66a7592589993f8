# Drives a running `corral serve` with boto3, as a user would, and prints one JSON object of what it saw.
# Run by ServerTests.swift: python3 scenario.py ENDPOINT PHASE (PHASE "main" or "after-restart").
import base64, hashlib, importlib.util, io, json, os, sys, zipfile
import boto3, botocore
import botocore.credentials

import urllib.error, urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

# Credentials come as a user's would: AWS_SHARED_CREDENTIALS_FILE points at the server's credentials file.
endpoint, phase = sys.argv[1], sys.argv[2]
session = boto3.Session(region_name="us-east-1")
client = session.client("lambda", endpoint_url=endpoint, config=botocore.config.Config(retries={"max_attempts": 1}, read_timeout=60))


def signed_request(method, path, body=None):
    """A urllib request to a Corral path, signed with SigV4 (botocore's signer) as boto3 signs Lambda calls."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = AWSRequest(method=method, url=endpoint + path, data=body, headers=headers)
    SigV4Auth(session.get_credentials(), "lambda", "us-east-1").add_auth(request)
    return urllib.request.Request(endpoint + path, data=body, method=method, headers=dict(request.headers))


def signed_get(path):
    with urllib.request.urlopen(signed_request("GET", path), timeout=30) as r:
        return r.read()
ROLE = "arn:aws:iam::000000000000:role/corral-basic"  # every tenant starts with this role
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
    seen["floodLogBytes"] = len(signed_get("/corral/functions/flood/logs"))
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
elif phase == "pool":
    # The warm pool on a server with room for 5 environments of 128 MB (capacityMemoryMB 640,
    # capacityEnvironments 5) and a 2 s queue timeout.
    import threading, time, urllib.request
    # No retries: botocore would retry a 429 (after Retry-After) and hide the throttle.
    client = session.client("lambda", endpoint_url=endpoint, config=botocore.config.Config(retries={"mode": "legacy", "max_attempts": 0}, read_timeout=60))
    POOL = b"""import os, time, uuid
INSTANCE = uuid.uuid4().hex
def handler(event, context):
    if event.get("crash"):
        os._exit(3)
    time.sleep(event.get("sleep", 0))
    return {"instance": INSTANCE, "init": os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE")}
"""

    def get(path):
        return signed_get(path).decode()

    def status(name):
        rows = [f for f in json.loads(get("/corral/status"))["functions"] if f["function"] == name]
        return rows[0] if rows else {}

    def until(check, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if check():
                return True
            time.sleep(0.05)
        return False

    def create(name, **kw):
        return client.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler", Timeout=30,
                                      Code={"ZipFile": zip_of({"app.py": POOL})}, **kw)

    def throttled(name, payload=None, **kw):
        started = time.time()
        try:
            invoke(name, payload, **kw)
            return None
        except client.exceptions.TooManyRequestsException as e:
            return {"reason": e.response.get("Reason"), "retryAfter": e.response["ResponseMetadata"]["HTTPHeaders"].get("retry-after"),
                    "waited": time.time() - started}

    def in_background(name, payload, **kw):
        box = {}
        thread = threading.Thread(target=lambda: box.update(invoke(name, payload, **kw)))
        thread.start()
        return thread, box

    # Reserved concurrency: 1 runs, the second is refused at once; 0 disables; deleting restores.
    create("limited")
    seen["putReserved"] = client.put_function_concurrency(FunctionName="limited", ReservedConcurrentExecutions=1)["ReservedConcurrentExecutions"]
    seen["getReserved"] = client.get_function_concurrency(FunctionName="limited").get("ReservedConcurrentExecutions")
    seen["getFunctionConcurrency"] = client.get_function(FunctionName="limited").get("Concurrency")
    thread, _ = in_background("limited", {"sleep": 1.5})
    until(lambda: status("limited").get("inFlight") == 1)
    seen["reservedThrottle"] = throttled("limited")
    thread.join()
    seen["reservedAfter"] = invoke("limited")["error"]
    client.put_function_concurrency(FunctionName="limited", ReservedConcurrentExecutions=0)
    seen["disabled"] = throttled("limited")
    client.delete_function_concurrency(FunctionName="limited")
    seen["reservedDeleted"] = client.get_function_concurrency(FunctionName="limited").get("ReservedConcurrentExecutions")
    seen["enabledAgain"] = invoke("limited")["error"]
    seen["reservedTooMany"] = error_class(lambda: client.put_function_concurrency(FunctionName="limited", ReservedConcurrentExecutions=1000))

    # Provisioned concurrency: 2 environments of version 1, initialized before any invocation.
    create("prov", Publish=True)
    client.create_alias(FunctionName="prov", Name="live", FunctionVersion="1")
    put = client.put_provisioned_concurrency_config(FunctionName="prov", Qualifier="1", ProvisionedConcurrentExecutions=2)
    seen["provPut"] = {"status": put["Status"], "requested": put["RequestedProvisionedConcurrentExecutions"],
                       "code": put["ResponseMetadata"]["HTTPStatusCode"]}
    seen["provReady"] = until(lambda: client.get_provisioned_concurrency_config(FunctionName="prov", Qualifier="1")["Status"] == "READY")
    got = client.get_provisioned_concurrency_config(FunctionName="prov", Qualifier="1")
    seen["provGet"] = {k: got.get(k) for k in ("Status", "RequestedProvisionedConcurrentExecutions", "AvailableProvisionedConcurrentExecutions",
                                               "AllocatedProvisionedConcurrentExecutions")}
    seen["provStatus"] = status("prov")
    first = invoke("prov", Qualifier="1")
    seen["provFirst"] = {"init": first["payload"]["init"], "coldLog": "Init Duration" in first["log"]}
    seen["provOnLatest"] = error_class(lambda: client.put_provisioned_concurrency_config(FunctionName="prov", Qualifier="$LATEST",
                                                                                         ProvisionedConcurrentExecutions=1))
    seen["provMissing"] = error_class(lambda: client.get_provisioned_concurrency_config(FunctionName="prov", Qualifier="live"))
    seen["provList"] = [c["FunctionArn"] for c in client.list_provisioned_concurrency_configs(FunctionName="prov")["ProvisionedConcurrencyConfigs"]]
    # A provisioned environment that crashes is replaced.
    seen["provCrash"] = invoke("prov", {"crash": True}, Qualifier="1")["payload"].get("errorType")
    seen["provReplaced"] = until(lambda: status("prov").get("provisioned") == 2 and status("prov").get("ready") == 2)
    after = [invoke("prov", {"sleep": 0.3}, Qualifier="1") for _ in range(1)]
    seen["provAfterCrashCold"] = any("Init Duration" in r["log"] for r in after)

    # Capacity: limited (1 idle) + prov (2) + a + b fill the 5 places; c evicts the least recently used
    # idle environment (limited's), never a provisioned one.
    for name in ("a", "b", "c", "d"):
        create(name)
    invoke("a")
    invoke("b")
    seen["beforeEvict"] = {n: status(n).get("ready", 0) for n in ("limited", "prov", "a", "b")}
    seen["cEvicts"] = invoke("c")["error"]
    seen["afterEvict"] = {n: status(n).get("ready", 0) for n in ("limited", "prov", "a", "b", "c")}

    # Full: every place busy, so d waits the queue timeout (2 s), then gets 429.
    threads = [in_background("prov", {"sleep": 4}, Qualifier="1"), in_background("prov", {"sleep": 4}, Qualifier="1"),
               in_background("a", {"sleep": 4}), in_background("b", {"sleep": 4}), in_background("c", {"sleep": 4})]
    seen["allBusy"] = until(lambda: json.loads(get("/corral/status"))["environments"] == 5 and
                            sum(f["busy"] for f in json.loads(get("/corral/status"))["functions"]) == 5)
    seen["fullThrottle"] = throttled("d")
    for thread, _ in threads:
        thread.join()
    # A waiting invocation gets the place an invocation frees, within the queue timeout.
    threads = [in_background("prov", {"sleep": 3}, Qualifier="1"), in_background("prov", {"sleep": 3}, Qualifier="1"),
               in_background("a", {"sleep": 3}), in_background("b", {"sleep": 3}), in_background("c", {"sleep": 1})]
    until(lambda: sum(f["busy"] for f in json.loads(get("/corral/status"))["functions"]) == 5)
    started = time.time()
    served = invoke("d")
    seen["queuedServed"] = {"error": served["error"], "waited": time.time() - started, "cold": "Init Duration" in served["log"]}
    for thread, _ in threads:
        thread.join()

    # Fresh mode (Corral's own setting, sent as CorralEnvironmentMode): every invocation gets its own
    # environment, and each after the first finds one started ahead (no Init Duration).
    for name in ("a", "b", "c", "d", "limited"):
        client.delete_function(FunctionName=name)
    create("fresh")
    request = signed_request("PUT", "/2015-03-31/functions/fresh/configuration", json.dumps({"CorralEnvironmentMode": "fresh"}).encode())
    with urllib.request.urlopen(request, timeout=30) as r:
        seen["freshMode"] = json.loads(r.read()).get("CorralEnvironmentMode")
    runs = []
    for _ in range(3):
        runs.append(invoke("fresh"))
        time.sleep(0.5)  # the next one is started ahead meanwhile
    seen["freshInstances"] = len({r["payload"]["instance"] for r in runs})
    seen["freshCold"] = ["Init Duration" in r["log"] for r in runs]
    bad = signed_request("PUT", "/2015-03-31/functions/fresh/configuration", json.dumps({"CorralEnvironmentMode": "sometimes"}).encode())
    try:
        urllib.request.urlopen(bad, timeout=30)
        seen["freshBadMode"] = None
    except urllib.error.HTTPError as e:
        seen["freshBadMode"] = e.headers.get("x-amzn-ErrorType")

    seen["status"] = json.loads(get("/corral/status"))
    seen["metrics"] = get("/metrics")
elif phase == "auth":
    # Every refusal in AWS's shape, as boto3 raises it; then the same credentials, right, are let in.
    def error_code(call):
        try:
            call()
        except botocore.exceptions.ClientError as e:
            return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
        return None

    good = session.get_credentials()
    def other(key, secret):
        return boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret,
                            config=botocore.config.Config(retries={"max_attempts": 0}))
    seen["wrongSecret"] = error_code(lambda: other(good.access_key, "x" * 40).list_functions())
    seen["unknownKey"] = error_code(lambda: other("AKIAUNKNOWNUNKNOWN00", good.secret_key).list_functions())
    try:
        urllib.request.urlopen(endpoint + "/2015-03-31/functions", timeout=30)
        seen["unsigned"] = None
    except urllib.error.HTTPError as e:
        seen["unsigned"] = [e.headers.get("x-amzn-ErrorType"), e.code, json.loads(e.read())]
    try:
        urllib.request.urlopen(endpoint + "/corral/status", timeout=30)
        seen["statusUnsigned"] = None
    except urllib.error.HTTPError as e:
        seen["statusUnsigned"] = e.code
    try:
        urllib.request.urlopen(endpoint + "/metrics", timeout=30)
        seen["metricsUnsigned"] = None
    except urllib.error.HTTPError as e:
        seen["metricsUnsigned"] = [e.code, e.headers.get("x-amzn-ErrorType")]
    seen["metricsSigned"] = "corral_" in signed_get("/metrics").decode()
    seen["ping"] = urllib.request.urlopen(endpoint + "/corral/ping", timeout=30).read().decode()
    seen["signed"] = client.list_functions()["ResponseMetadata"]["HTTPStatusCode"]
    seen["statusSigned"] = "functions" in json.loads(signed_get("/corral/status"))
elif phase == "permissions":
    # Tenant B (its root key in B_KEY/B_SECRET) may invoke the admin tenant's "shared" function only once
    # AddPermission names B's account, and never sees "private"; the policy reads back as Lambda shows it.
    other = boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=os.environ["B_KEY"],
                         aws_secret_access_key=os.environ["B_SECRET"], config=botocore.config.Config(retries={"max_attempts": 0}))
    code = zip_of({"app.py": b"def handler(event, context):\n    return {'from': context.invoked_function_arn}\n"})
    arns = {}
    for name in ("shared", "private"):
        arns[name] = client.create_function(FunctionName=name, Runtime=os.environ["PY_RUNTIME"], Role=ROLE, Handler="app.handler",
                                            Code={"ZipFile": code})["FunctionArn"]
    def other_invoke(name):
        try:
            r = other.invoke(FunctionName=arns[name], Payload=b"{}")
            return json.loads(r["Payload"].read())
        except botocore.exceptions.ClientError as e:
            return e.response["Error"]["Code"]
    seen["before"] = other_invoke("shared")
    # Code locations (issue 14 item 5): signed, bound to the account and the key; the digest alone opens nothing.
    def fetch(url):
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                return [r.status, hashlib.sha256(r.read()).hexdigest()]
        except urllib.error.HTTPError as e:
            body = e.read().decode()
            return [e.code, body.split("<Code>")[1].split("</Code>")[0] if "<Code>" in body else body]
    shared = client.get_function(FunctionName="shared")
    location = shared["Code"]["Location"]
    digest = base64.b64decode(shared["Configuration"]["CodeSha256"]).hex()
    path, query = location.split("?", 1)
    seen["codeOwn"] = fetch(location) + [digest]
    seen["codeOtherAccountPath"] = fetch(path.replace("/000000000000/", "/" + os.environ["B_ACCOUNT"] + "/") + "?" + query)
    seen["codeUnsigned"] = fetch(path)
    seen["codeDigestOnly"] = fetch(endpoint + "/corral/code/" + digest + ".zip")
    seen["codeForged"] = fetch(location[:-4] + ("0000" if not location.endswith("0000") else "1111"))
    # B deploys the very same zip: its location serves B; B cannot turn it into A's.
    other.create_function(FunctionName="copy", Runtime=os.environ["PY_RUNTIME"], Role="arn:aws:iam::" + os.environ["B_ACCOUNT"] + ":role/corral-basic",
                          Handler="app.handler", Code={"ZipFile": code})
    b_location = other.get_function(FunctionName="copy")["Code"]["Location"]
    seen["codeOtherOwn"] = fetch(b_location)
    seen["codeOtherAsA"] = fetch(b_location.replace("/" + os.environ["B_ACCOUNT"] + "/", "/000000000000/"))
    seen["codeOtherLocation"] = b_location
    # The server's metrics name every tenant: another tenant's signed request is refused.
    metrics_request = AWSRequest(method="GET", url=endpoint + "/metrics")
    SigV4Auth(botocore.credentials.Credentials(os.environ["B_KEY"], os.environ["B_SECRET"]), "lambda", "us-east-1").add_auth(metrics_request)
    try:
        urllib.request.urlopen(urllib.request.Request(endpoint + "/metrics", headers=dict(metrics_request.headers)), timeout=30)
        seen["metricsOtherTenant"] = None
    except urllib.error.HTTPError as e:
        seen["metricsOtherTenant"] = [e.code, e.headers.get("x-amzn-ErrorType")]

    def other_call(call):
        try:
            call()
            return "ok"
        except botocore.exceptions.ClientError as e:
            return e.response["Error"]["Code"]

    def other_ops():
        # What B can do to A's "shared", by its ARN.
        shared = arns["shared"]
        return {"get": other_call(lambda: other.get_function(FunctionName=shared)),
                "configuration": other_call(lambda: other.get_function_configuration(FunctionName=shared)),
                "update": other_call(lambda: other.update_function_configuration(FunctionName=shared, Description="B was here")),
                "delete": other_call(lambda: other.delete_function(FunctionName=shared)),
                "invoke": other_call(lambda: other.invoke(FunctionName=shared, Payload=b"{}"))}

    seen["opsBefore"] = other_ops()
    seen["otherListed"] = [f["FunctionArn"] for f in other.list_functions()["Functions"]]
    added = client.add_permission(FunctionName="shared", StatementId="b-invoke", Action="lambda:InvokeFunction",
                                  Principal=os.environ["B_ACCOUNT"])
    seen["opsInvokeOnly"] = other_ops()
    client.add_permission(FunctionName="shared", StatementId="b-read", Action="lambda:GetFunctionConfiguration",
                          Principal=os.environ["B_ACCOUNT"])
    seen["opsRead"] = other_ops()
    client.remove_permission(FunctionName="shared", StatementId="b-read")
    seen["statement"] = json.loads(added["Statement"])
    seen["policy"] = json.loads(client.get_policy(FunctionName="shared")["Policy"])
    seen["duplicate"] = error_class(lambda: client.add_permission(FunctionName="shared", StatementId="b-invoke",
                                                                  Action="lambda:InvokeFunction", Principal="*"))
    seen["latest"] = error_class(lambda: client.add_permission(FunctionName="shared", StatementId="x", Qualifier="$LATEST",
                                                               Action="lambda:InvokeFunction", Principal="*"))
    seen["after"] = other_invoke("shared")
    seen["private"] = other_invoke("private")
    try:
        other.get_function(FunctionName=arns["shared"])
        seen["otherGet"] = None
    except botocore.exceptions.ClientError as e:
        seen["otherGet"] = e.response["Error"]["Code"]
    client.remove_permission(FunctionName="shared", StatementId="b-invoke")
    seen["removed"] = other_invoke("shared")
    seen["noPolicy"] = error_class(lambda: client.get_policy(FunctionName="shared"))
    seen["arn"] = arns["shared"]
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
