// The two local stand-ins the browser tests need, in one process:
//  - the target app tocsin monitors: GET /healthz answers the status last set with
//    POST /control/status/{code} (200 at start);
//  - a Slack-like sink: records every request to any other path and answers 200;
//    GET /control/requests lists what it recorded.
// Prints one JSON line {"target": URL, "sink": URL} once both listen, then runs until killed.
import http from "node:http";

function listen(handler) {
  return new Promise((resolve, reject) => {
    const server = http.createServer(handler);
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

function reply(res, status, body = "", type = "text/plain; charset=utf-8") {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

let health = 200;
const target = await listen((req, res) => {
  const set = /^\/control\/status\/(\d{3})$/.exec(req.url);
  if (req.method === "POST" && set) {
    health = Number(set[1]);
    req.resume();
    return reply(res, 204);
  }
  if (req.url === "/healthz") return reply(res, health, health < 400 ? "ok" : "unavailable");
  reply(res, 404, "not found");
});

const received = [];
const sink = await listen((req, res) => {
  if (req.method === "GET" && req.url === "/control/requests") {
    return reply(res, 200, JSON.stringify(received), "application/json");
  }
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    received.push({
      method: req.method,
      path: req.url,
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    });
    reply(res, 200, "ok");
  });
});

process.stdout.write(JSON.stringify({ target, sink }) + "\n");
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
