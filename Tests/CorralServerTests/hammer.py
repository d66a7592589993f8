# The Runtime API hammered at invocation timeouts, run by ServerTests.runtimeAPIHammeredAtTimeouts against
# a debug-build `corral serve`. argv: ENDPOINT ROUNDS. A `provided` runtime whose bootstrap races extra
# `next` requests (each given up after 0.3 s, so parked requests lose their connections) against its own
# loop, answers each invocation several times, at once, right at its 1 s timeout, or past it, so environments are
# destroyed while requests are parked, answered and re-sent. Prints one JSON object: every invocation's
# outcome, and a plain function's after the hammering.
import concurrent.futures, io, json, sys, zipfile
import boto3, botocore

endpoint, rounds = sys.argv[1], int(sys.argv[2])
client = boto3.Session(region_name="us-east-1").client(
    "lambda", endpoint_url=endpoint,
    config=botocore.config.Config(retries={"max_attempts": 1}, read_timeout=60, max_pool_connections=16))

BOOTSTRAP = r'''#!/usr/bin/python3
import http.client, json, os, random, threading, time
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
BASE = "/2018-06-01/runtime/invocation/"

def call(method, path, body=None, timeout=None):
    c = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        c.request(method, path, body=body)
        r = c.getresponse()
        return r.status, r.getheader("Lambda-Runtime-Aws-Request-Id"), r.read()
    finally:
        c.close()

def racer():
    while True:
        try:
            status, rid, _ = call("GET", BASE + "next", timeout=0.3)
            if rid:
                call("POST", BASE + rid + "/response", b'"from a racer"', timeout=1)
        except Exception:
            pass

for _ in range(2):
    threading.Thread(target=racer, daemon=True).start()
while True:
    try:
        status, rid, data = call("GET", BASE + "next")
    except Exception:
        time.sleep(0.01)
        continue
    if not rid:
        continue
    # "race": answer right at the 1 s timeout; "overrun": never in time.
    delay = {"race": 0.9 + random.random() * 0.2, "overrun": 5}.get(json.loads(data or b"{}").get("mode"), 0)
    time.sleep(delay)
    for body in (b'"first"', b'"second"'):
        try:
            call("POST", BASE + rid + "/response", body, timeout=1)
        except Exception:
            pass
    try:
        call("POST", BASE + rid + "/error", b'{"errorMessage": "late", "errorType": "Late"}', timeout=1)
    except Exception:
        pass
'''


def zip_of(files, modes=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (modes or {}).get(name, 0o644) << 16
            z.writestr(info, data)
    return buffer.getvalue()


names = ["hammer-%d" % i for i in range(3)]
for name in names:
    client.create_function(FunctionName=name, Runtime="provided.al2023", Role="arn:aws:iam::000000000000:role/corral-basic",
                           Handler="none", Timeout=1, Code={"ZipFile": zip_of({"bootstrap": BOOTSTRAP}, {"bootstrap": 0o755})})


def invoke(name, mode):
    try:
        r = client.invoke(FunctionName=name, Payload=json.dumps({"mode": mode}).encode())
        return {"status": r["StatusCode"], "error": r.get("FunctionError"), "payload": r["Payload"].read().decode()[:200]}
    except Exception as e:
        return {"exception": type(e).__name__, "text": str(e)[:300]}


seen = {"hammered": []}
with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
    futures = [pool.submit(invoke, names[i % len(names)], ("now", "race", "overrun")[i % 3]) for i in range(rounds)]
    seen["hammered"] = [f.result() for f in futures]

client.create_function(FunctionName="after", Runtime="python3.11", Role="arn:aws:iam::000000000000:role/corral-basic",
                       Handler="app.handler", Code={"ZipFile": zip_of({"app.py": "def handler(event, context):\n    return 'still serving'\n"})})
seen["after"] = invoke("after", "now")
print(json.dumps(seen))
