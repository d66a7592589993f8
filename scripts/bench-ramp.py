#!/usr/bin/env python3
# Rising traffic: starts `corral serve` (scratch data, its own cgroup parent, port 9300), deploys a 50 ms
# function, and lets 8 clients join 150 ms apart, each invoking back to back for 2.5 s. Prints how many
# invocations were cold starts, the latency percentiles, and how many environments exist at the end.
#   scripts/bench-ramp.py .build/release/corral      (as root)
import json, sys, threading, time, urllib.request, subprocess, os, statistics
binary, port = sys.argv[1], 9300
data = "/tmp/ramp-data"
subprocess.run(["rm", "-rf", data])
open("/tmp/ramp.yaml", "w").write("cgroupParent: corral-ramp\n")
server = subprocess.Popen([binary, "serve", "--config", "/tmp/ramp.yaml", "--data", data, "--listen", "127.0.0.1:%d" % port], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1.0)
os.makedirs("/tmp/ramp-code", exist_ok=True)
open("/tmp/ramp-code/app.py", "w").write("import time\ndef handler(e, c):\n    time.sleep(0.05)\n")
subprocess.run([binary, "deploy", "/tmp/ramp-code", "--name", "ramp", "--runtime", "python3.11", "--handler", "app.handler", "--endpoint", "http://127.0.0.1:%d" % port], stdout=subprocess.DEVNULL, check=True)
lat = []
lock = threading.Lock()
def client(delay):
    time.sleep(delay)
    end = time.time() + 2.5
    while time.time() < end:
        s = time.perf_counter()
        req = urllib.request.Request("http://127.0.0.1:%d/2015-03-31/functions/ramp/invocations" % port, data=b"{}", method="POST")
        urllib.request.urlopen(req).read()
        with lock: lat.append((time.perf_counter() - s) * 1000)
threads = [threading.Thread(target=client, args=(i * 0.15,)) for i in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
log = open(data + "/logs/000000000000/ramp.log").read()
status = json.loads(urllib.request.urlopen("http://127.0.0.1:%d/corral/status" % port).read())
server.terminate(); server.wait()
lat.sort()
print("cold starts seen by invocations: %d, invocations %d, p50 %.1f ms, p99 %.1f ms, max %.1f ms, environments at the end %d" % (
    log.count("Init Duration"), len(lat), lat[len(lat)//2], lat[int(len(lat)*0.99)], lat[-1], status["environments"]))
