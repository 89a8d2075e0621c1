// Internal: the lines of a record file, streamed (node:readline over fs and zlib streams), never
// the whole file in memory. With `follow`, a file still being written is tailed: at its end the
// reader waits and polls for more (a file not there yet is waited for too) until `signal` aborts.
import { createReadStream } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { createGunzip } from "node:zlib";

export interface LineOptions {
  follow: boolean;
  pollMs: number; // how often a followed file is checked for new bytes
  signal: AbortSignal; // ends a followed file
}

const CHUNK = 1 << 16; // bytes read at a time while tailing

/** The file's lines in order (a trailing partial line included once the file ends); errors of the file or of its gzip stream are thrown. */
export async function* fileLines(file: string, o: LineOptions): AsyncGenerator<string> {
  const raw = o.follow ? tail(file, o) : createReadStream(file);
  const input = /\.gz$/i.test(file) ? raw.pipe(createGunzip()) : raw;
  let failure: Error | undefined;
  const rl = createInterface({ input, crlfDelay: Infinity });
  const fail = (e: Error) => { failure ??= e; rl.close(); };
  raw.on("error", fail);
  if (input !== raw) input.on("error", fail);
  try {
    for await (const line of rl) {
      if (failure) break;
      yield line;
    }
    if (failure) throw failure;
  } finally {
    rl.close();
    raw.destroy();
    if (input !== raw) input.destroy();
  }
}

/** The bytes of a growing file: read to its end, then poll for more every pollMs, until the signal aborts. */
function tail(file: string, o: LineOptions): Readable {
  let fh: FileHandle | undefined;
  let pos = 0;
  return new Readable({
    async read() {
      try {
        for (;;) {
          if (o.signal.aborted) return void this.push(null);
          fh ??= await open(file, "r").catch(() => undefined); // not there yet: wait for it
          if (fh) {
            const buf = Buffer.allocUnsafe(CHUNK);
            const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
            if (bytesRead > 0) {
              pos += bytesRead;
              return void this.push(buf.subarray(0, bytesRead));
            }
          }
          await sleep(o.pollMs, undefined, { signal: o.signal }).catch(() => {});
        }
      } catch (e) {
        this.destroy(e as Error);
      }
    },
    destroy(err, cb) {
      const h = fh;
      fh = undefined;
      if (!h) return cb(err);
      h.close().then(() => cb(err), () => cb(err));
    },
  });
}
