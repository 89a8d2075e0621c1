// A schedule says which environment trains at each step. Sequential schedules put one
// environment in a whole batch; the mixture baseline mixes them inside every batch.

export interface Phase {
  start: number; // first step of the segment
  end: number; // one past its last step
  env: string; // environment name, or "mixture"
}

export interface Schedule {
  kind: string;
  /** Environment of every step, -1 where the batch is a mixture. Shared by all seeds. */
  sequence: Int32Array;
  /** Fills out[b] with the environment of example b of step t's batch. */
  assign(step: number, out: Int32Array): void;
  /** Switches per step, realised over the run: the schedule's volatility. */
  volatility: number;
  /** Contiguous segments, for phase boundaries and the DPO reference snapshot. */
  phases: Phase[];
}

/** Builds the sequential parts of a schedule from its per-step environment sequence. */
export function sequential(kind: string, sequence: Int32Array, envs: string[]): Schedule {
  const phases: Phase[] = [];
  let switches = 0;
  for (let t = 0; t < sequence.length; t++) {
    const e = sequence[t]!;
    const last = phases[phases.length - 1];
    if (last && last.env === envs[e]) last.end = t + 1;
    else {
      if (last) switches++;
      phases.push({ start: t, end: t + 1, env: envs[e]! });
    }
  }
  return {
    kind, sequence, phases,
    volatility: sequence.length ? switches / sequence.length : 0,
    assign: (step, out) => out.fill(sequence[step]!),
  };
}

/** Resolve environment names to indices, naming the bad one. */
export function indexOf(envs: string[], name: string, where: string): number {
  const i = envs.indexOf(name);
  if (i < 0) throw new Error(`${where}: unknown environment: ${name} (have ${envs.join(", ")})`);
  return i;
}
