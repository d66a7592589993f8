#!/usr/bin/env bash
# `make run`: starts `corral serve` on its defaults, deploys examples/, and says how to call them.
# Stays in the foreground with the server; Ctrl-C stops it (in-flight invocations finish first).
set -euo pipefail
corral=$(realpath "$1")
endpoint=${CORRAL_ENDPOINT:-http://127.0.0.1:9000}
python_runtime=$(ls /usr/bin/python3.* 2>/dev/null | grep -E 'python3\.[0-9]+$' | sort -V | tail -1 | xargs -r basename)
node_major=$(/usr/bin/node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || true)

"$corral" serve &
server=$!
# The server goes with this script, however it ends (Ctrl-C, or a deploy that fails).
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
for _ in $(seq 100); do
  "$corral" functions --endpoint "$endpoint" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { echo "make run: corral serve did not start" >&2; exit 1; }
  sleep 0.1
done

cd "$(dirname "$0")/.."
[ -n "$python_runtime" ] && "$corral" deploy examples/hello-python --name hello-python --runtime "$python_runtime" --handler app.handler
[ -n "$node_major" ] && "$corral" deploy examples/hello-node --name hello-node --runtime "nodejs${node_major}.x" --handler index.handler
data=/var/lib/corral
credentials=$data/credentials
key=$(sed -n 's/^aws_access_key_id = //p' "$credentials")
cat <<EOT

corral serve is running at $endpoint (data in $data). Every request is signed (SigV4) with the admin
tenant's key, which the server wrote to $credentials (mode 0600) on its first start. Try:

  $corral invoke hello-python --payload '{"name": "Ada"}' --log
  $corral functions
  $corral logs hello-python

  export AWS_SHARED_CREDENTIALS_FILE=$credentials
  aws --endpoint-url $endpoint --region us-east-1 lambda list-functions

  python3 -c 'import boto3, json
lam = boto3.client("lambda", endpoint_url="$endpoint", region_name="us-east-1")
print(json.load(lam.invoke(FunctionName="hello-node", Payload=b"{\"text\": \"one two three\"}")["Payload"]))'

  curl -s --aws-sigv4 aws:amz:us-east-1:lambda --user "$key:\$(sed -n 's/^aws_secret_access_key = //p' $credentials)" \\
       -H 'Content-Type: application/json' -X POST $endpoint/2015-03-31/functions/hello-python/invocations -d '{"name": "curl"}'

Ctrl-C stops the server.
EOT
wait $server
