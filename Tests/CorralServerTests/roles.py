# Execution roles seen from inside the sandbox: run by ServerTests.executionRoles against a running
# `corral serve` whose admin tenant has the roles "worker" and "corral-basic" and the secrets db-password and
# api-token. argv: ENDPOINT ROOT (the opened fs root) CLOSED (a host directory never opened) SITE (boto3's
# site-packages, opened and granted read-only) GRANTED (host:port of a loopback web server the role may
# reach) REFUSED (host:port of one it may not). Prints one JSON object: what each function saw.
import base64, io, json, sys, zipfile
import boto3, botocore

endpoint, root, closed, site, granted, refused = sys.argv[1:7]
client = boto3.Session(region_name="us-east-1").client(
    "lambda", endpoint_url=endpoint, config=botocore.config.Config(retries={"max_attempts": 1}, read_timeout=60))

# The probe: everything a function can observe about its grants, as JSON.
PROBE = r'''
import json, os, socket, sys, urllib.request, urllib.error
ROOT, CLOSED, SITE, GRANTED, REFUSED = %r

def attempt(action):
    try:
        return {"ok": action()}
    except Exception as e:
        return {"error": type(e).__name__, "errno": getattr(e, "errno", None), "text": str(e)[:300]}

def write(path):
    with open(path, "w") as f:
        f.write("written from the sandbox")
    return True

def read(path):
    with open(path) as f:
        return f.read()

def fetch_via_proxy(hostport):
    proxy = os.environ.get("HTTP_PROXY")
    if not proxy:
        raise RuntimeError("no HTTP_PROXY")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy}))
    try:
        with opener.open("http://%%s/hello.txt" %% hostport, timeout=10) as r:
            return {"status": r.status, "body": r.read().decode()}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": e.read().decode()[:200]}

def tunnel(hostport):
    # CONNECT through the proxy, then plain HTTP inside the tunnel.
    host, port = os.environ["HTTP_PROXY"].rsplit("/", 1)[-1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(("CONNECT %%s HTTP/1.1\r\nHost: %%s\r\n\r\n" %% (hostport, hostport)).encode())
        reply = s.recv(4096).decode(errors="replace")
        status = int(reply.split(" ")[1])
        if status != 200:
            return {"status": status}
        s.sendall(("GET /hello.txt HTTP/1.0\r\nHost: %%s\r\n\r\n" %% hostport).encode())
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return {"status": status, "body": data.decode(errors="replace").split("\r\n\r\n", 1)[-1]}

def direct(hostport):
    host, port = hostport.split(":")
    with socket.create_connection((host, int(port)), timeout=5):
        return True

def invoke(name):
    sys.path.insert(0, SITE)
    import boto3
    lam = boto3.client("lambda", region_name="us-east-1")
    try:
        r = lam.invoke(FunctionName=name, Payload=b"{}")
        return {"payload": json.loads(r["Payload"].read())}
    except lam.exceptions.ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"]}

def handler(event, context):
    out = {}
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
    out["status"] = {k: status[k].strip() for k in ("Seccomp", "NoNewPrivs", "CapEff")}
    out["readIn"] = attempt(lambda: read(ROOT + "/in/data.txt"))
    out["writeIn"] = attempt(lambda: write(ROOT + "/in/new.txt"))
    out["writeOut"] = attempt(lambda: write(ROOT + "/out/made-inside.txt"))
    out["rootListing"] = attempt(lambda: sorted(os.listdir(ROOT)))
    out["hiddenExists"] = os.path.exists(ROOT + "/hidden")
    out["closedExists"] = os.path.exists(CLOSED)
    out["secrets"] = attempt(lambda: sorted(os.listdir("/run/secrets")))
    out["dbPassword"] = attempt(lambda: read("/run/secrets/db-password"))
    out["writeSecret"] = attempt(lambda: write("/run/secrets/db-password"))
    out["proxyEnv"] = {k: os.environ.get(k) for k in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "AWS_ENDPOINT_URL_LAMBDA")}
    out["hasCredentials"] = all(os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"))
    out["credentials"] = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    if event.get("network", True):
        out["proxyGranted"] = attempt(lambda: fetch_via_proxy(GRANTED))
        out["proxyRefused"] = attempt(lambda: fetch_via_proxy(REFUSED))
        out["tunnelGranted"] = attempt(lambda: tunnel(GRANTED))
        out["tunnelRefused"] = attempt(lambda: tunnel(REFUSED))
        out["directGranted"] = attempt(lambda: direct(GRANTED))
    if event.get("invoke", True):
        out["invokeHelper"] = attempt(lambda: invoke("helper"))
        out["invokeOther"] = attempt(lambda: invoke("other"))
    return out
''' % ((root, closed, site, granted, refused),)


def zip_of(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buffer.getvalue()


def create(name, code, role):
    client.create_function(FunctionName=name, Runtime="python3.11", Role="arn:aws:iam::000000000000:role/" + role,
                           Handler="app.handler", Code={"ZipFile": zip_of({"app.py": code})}, Timeout=30)


def run(name, event):
    r = client.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    return {"error": r.get("FunctionError"), "payload": json.loads(r["Payload"].read())}


def refusal(call):
    try:
        call()
        return None
    except client.exceptions.ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"]}


seen = {}
create("helper", "def handler(event, context):\n    return 'helped'\n", "corral-basic")
create("other", "def handler(event, context):\n    return 'other'\n", "corral-basic")
create("worker", PROBE, "worker")
create("basic", PROBE, "corral-basic")
seen["worker"] = run("worker", {})
# The oracle: the same probe under the role that grants nothing.
seen["basic"] = run("basic", {"invoke": False})
# A role that does not exist, and one of another account, are refused as Lambda refuses them.
seen["missingRole"] = refusal(lambda: create("ghost", "x = 1\n", "no-such-role"))
seen["foreignRole"] = refusal(lambda: client.create_function(
    FunctionName="ghost", Runtime="python3.11", Role="arn:aws:iam::123456789012:role/worker", Handler="app.handler",
    Code={"ZipFile": zip_of({"app.py": "x = 1\n"})}))

# The worker's credentials end with its environment: an update retires it, and the same keys are refused.
credentials = seen["worker"]["payload"].get("credentials") or {}
client.update_function_configuration(FunctionName="worker", Description="retire the environment")
seen["afterRetire"] = None
if credentials.get("AWS_ACCESS_KEY_ID"):
    import time
    old = boto3.Session(aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"], aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
                        aws_session_token=credentials["AWS_SESSION_TOKEN"], region_name="us-east-1").client(
        "lambda", endpoint_url=endpoint, config=botocore.config.Config(retries={"max_attempts": 1}))
    deadline = time.time() + 10
    while time.time() < deadline:
        seen["afterRetire"] = refusal(lambda: old.invoke(FunctionName="helper", Payload=b"{}"))
        if seen["afterRetire"]:
            break
        time.sleep(0.2)
print(json.dumps(seen))
