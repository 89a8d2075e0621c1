// A raw HTTP client for the dashboard tests: the request path is sent exactly as written (fetch
// would normalise `..` and encodings away, hiding the very requests a traversal test must send).
import { request } from "node:http";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): any;
}

export function get(base: string, path: string, o: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: o.method ?? "GET", headers: o.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body) }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Reads Server-Sent Events from `path`; `next(name)` waits for the next event of that name. */
export function events(base: string, path: string) {
  const { hostname, port } = new URL(base);
  const queue: { event: string; data: any }[] = [];
  const waiters: (() => void)[] = [];
  let ended = false;
  const req = request({ host: hostname, port, path, headers: { Accept: "text/event-stream" } }, (res) => {
    let buf = "";
    res.setEncoding("utf8");
    res.on("data", (c: string) => {
      buf += c;
      let cut: number;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== undefined) queue.push({ event, data: data === undefined ? undefined : JSON.parse(data) });
      }
      waiters.splice(0).forEach((w) => w());
    });
    res.on("end", () => { ended = true; waiters.splice(0).forEach((w) => w()); });
  });
  req.on("error", () => { ended = true; });
  req.end();
  return {
    async next(name: string, timeoutMs = 5000): Promise<any> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = queue.findIndex((e) => e.event === name);
        if (i >= 0) return queue.splice(0, i + 1).pop()!.data;
        if (ended) throw new Error(`stream ended before a ${name} event`);
        if (Date.now() > deadline) throw new Error(`no ${name} event within ${timeoutMs} ms`);
        await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 50); });
      }
    },
    get ended() { return ended; },
    close: () => req.destroy(),
  };
}
