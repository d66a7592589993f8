# The API over TLS, driven by ServerTests.tlsListener against a `corral serve` with a certificate whose
# admin tenant has the role "caller" (lambda:InvokeFunction). argv: ENDPOINT (https://127.0.0.1:PORT)
# CA (the server's self-signed certificate, what clients trust) OTHER_CA (another certificate, which must
# not be trusted). Prints one JSON object: what each client saw.
import io, json, ssl, sys, urllib.request, zipfile
import boto3, botocore

endpoint, ca, other_ca = sys.argv[1:4]


def lambda_client(verify):
    return boto3.Session(region_name="us-east-1").client(
        "lambda", endpoint_url=endpoint, verify=verify,
        config=botocore.config.Config(retries={"max_attempts": 1}, read_timeout=60))


def zip_of(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buffer.getvalue()


def attempt(action):
    try:
        return {"ok": action()}
    except Exception as e:
        return {"error": type(e).__name__, "text": str(e)[:300]}


# Inside the sandbox: the Lambda endpoint (plain HTTP on the sandbox's own loopback) reaches the API,
# which the supervisor's forwarder speaks TLS to.
CALLER = r'''
import json, os, urllib.request, urllib.error

def get(path):
    try:
        with urllib.request.urlopen(os.environ["AWS_ENDPOINT_URL_LAMBDA"] + path, timeout=10) as r:
            return {"status": r.status, "body": r.read().decode()[:300]}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "type": e.headers.get("x-amzn-ErrorType"), "body": e.read().decode()[:300]}

def handler(event, context):
    out = {"endpoint": os.environ.get("AWS_ENDPOINT_URL_LAMBDA")}
    for key, path in (("ping", "/corral/ping"), ("unsigned", "/2015-03-31/functions/")):
        try:
            out[key] = get(path)
        except Exception as e:
            out[key] = {"error": type(e).__name__, "text": str(e)[:300]}
    return out
'''

seen = {}
client = lambda_client(ca)
client.create_function(FunctionName="caller", Runtime="python3.11", Role="arn:aws:iam::000000000000:role/caller",
                       Handler="app.handler", Code={"ZipFile": zip_of({"app.py": CALLER})}, Timeout=30)
reply = client.invoke(FunctionName="caller", Payload=b"{}")
seen["caller"] = {"error": reply.get("FunctionError"), "payload": json.loads(reply["Payload"].read())}

# The server closes connections idle for a second (connectionIdleSeconds: 1), but not one waiting for an
# invocation that takes longer.
client.create_function(FunctionName="sleeper", Runtime="python3.11", Role="arn:aws:iam::000000000000:role/caller", Handler="app.handler",
                       Code={"ZipFile": zip_of({"app.py": "import time\ndef handler(event, context):\n    time.sleep(3)\n    return 'slept'\n"})}, Timeout=30)
seen["sleeper"] = attempt(lambda: json.loads(client.invoke(FunctionName="sleeper", Payload=b"{}")["Payload"].read()))

# The code location GetFunction hands out is on the TLS listener, and downloads with the same trust.
location = client.get_function(FunctionName="caller")["Code"]["Location"]
seen["location"] = location
context = ssl.create_default_context(cafile=ca)
seen["download"] = attempt(lambda: urllib.request.urlopen(location, context=context, timeout=10).read()[:2].decode())

# Plain HTTP on the TLS port gets no answer; a client trusting another certificate refuses the server.
seen["plainHTTP"] = attempt(lambda: urllib.request.urlopen(endpoint.replace("https://", "http://") + "/corral/ping", timeout=10).read().decode())
seen["otherTrust"] = attempt(lambda: lambda_client(other_ca).list_functions()["Functions"] and "listed")
print(json.dumps(seen))
