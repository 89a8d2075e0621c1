// Who is working on a run (or a sweep), and whether that process is still there. An owner is
// `host/pid/startedAt`; it refreshes a heartbeat while it works. A run whose status is still
// "running" but whose owner is gone (killed with SIGKILL, a power cut) is shown as "stale" and may
// be taken over by `--resume`; a live owner keeps every other process out.

import { hostname } from "node:os";

export const livenessDefaults = {
  heartbeatMs: 2_000, // how often a process refreshes the heartbeat of what it owns
  staleMs: 60_000, // an owner silent for this long is presumed dead (on another host: the only sign)
};

/** This process as an owner: host, pid, and when it started (a pid is reused, a start time is not). */
export const processOwner = (() => {
  const me = `${hostname()}/${process.pid}/${Math.round(performance.timeOrigin)}`;
  return () => me;
})();

/** Whether the process `host/pid/…` still runs: by pid on this host, by heartbeat elsewhere. */
export function ownerAlive(owner: string, heartbeatAt: string | null, now = Date.now()): boolean {
  if (owner === processOwner()) return true;
  const [host, pidText] = owner.split("/");
  const fresh = heartbeatAt !== null && now - Date.parse(heartbeatAt) < livenessDefaults.staleMs;
  if (host !== hostname() || !fresh) return fresh; // a stale heartbeat on this host may be a reused pid
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // alive, someone else's
  }
}

/** "process 123 on host" for messages. */
export function describeOwner(owner: string): string {
  const [host, pid] = owner.split("/");
  return `process ${pid} on ${host}`;
}
