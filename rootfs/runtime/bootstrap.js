// Corral's Node.js runtime: the Lambda Runtime API client every nodejsN.x function runs under.
// Embedded into the corral binary (Sources/CorralRuntime/Bootstraps+Embedded.swift, made by embed.sh) and
// mounted read-only at /var/runtime/bootstrap.js. Handler "file.function" from _HANDLER (CommonJS, or an
// async handler); the function's code is at LAMBDA_TASK_ROOT (/var/task).
"use strict";
const http = require("http");
const path = require("path");

const [HOST, PORT] = (() => { const a = process.env.AWS_LAMBDA_RUNTIME_API; const i = a.lastIndexOf(":"); return [a.slice(0, i), Number(a.slice(i + 1))]; })();
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, route, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port: PORT, method, path: "/2018-06-01/runtime" + route, headers: headers || {}, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function errorBody(err, type) {
  return JSON.stringify({
    errorType: type || (err && err.name) || "Error",
    errorMessage: (err && err.message) || String(err),
    trace: err && err.stack ? String(err.stack).split("\n") : [],
  });
}

async function main() {
  let handler;
  try {
    const spec = process.env._HANDLER || "";
    const dot = spec.lastIndexOf(".");
    if (dot <= 0) throw Object.assign(new Error(`Bad handler '${spec}': expected file.function`), { name: "Runtime.MalformedHandlerName" });
    const file = path.join(process.env.LAMBDA_TASK_ROOT || "/var/task", spec.slice(0, dot));
    let mod;
    try { mod = require(file); } catch (e) { e.name = "Runtime.ImportModuleError"; throw e; }
    handler = mod[spec.slice(dot + 1)];
    if (typeof handler !== "function") throw Object.assign(new Error(`${spec} is undefined or not exported`), { name: "Runtime.HandlerNotFound" });
  } catch (err) {
    console.error(`[ERROR] ${err.name}: ${err.message}`);
    await call("POST", "/init/error", errorBody(err, err.name), { "Lambda-Runtime-Function-Error-Type": err.name });
    process.exit(1);
  }
  for (;;) {
    const next = await call("GET", "/invocation/next");
    // Not 200: the environment is shutting down and there is no event; the handler must not run.
    if (next.status !== 200) process.exit(0);
    const id = next.headers["lambda-runtime-aws-request-id"];
    const deadline = Number(next.headers["lambda-runtime-deadline-ms"] || 0);
    const context = {
      awsRequestId: id,
      invokedFunctionArn: next.headers["lambda-runtime-invoked-function-arn"],
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    let result;
    try {
      const event = next.body.length ? JSON.parse(next.body.toString()) : null;
      result = await handler(event, context);
    } catch (err) {
      console.error(`[ERROR] ${err && err.name}: ${err && err.message}`);
      await call("POST", `/invocation/${id}/error`, errorBody(err), { "Content-Type": "application/json" });
      continue;
    }
    await call("POST", `/invocation/${id}/response`, JSON.stringify(result === undefined ? null : result), { "Content-Type": "application/json" });
  }
}

main();
