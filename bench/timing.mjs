// timing.mjs: the batch protocol, the same as bench_fhirpath.c's measure().
//
// batch(n) runs the work n times and returns the elapsed nanoseconds. The
// batch size doubles until one batch takes at least MN_BENCH_BATCH_MS (this
// also warms up the JIT); then MN_BENCH_BATCHES batches of that size run and
// the result is the median batch time divided by the batch size.

export const settings = {
  batchMs: Number(process.env.MN_BENCH_BATCH_MS || 5),
  batches: Number(process.env.MN_BENCH_BATCHES || 5),
};

export function measure(batch) {
  const target = settings.batchMs * 1e6;
  let n = 1;
  for (;;) {
    const t = batch(n);
    if (t >= target || n >= 1 << 24)
      break;
    // grow towards the target, at most 8x at a time
    const f = t > 0 ? Math.min(8, Math.max(2, (target * 1.1) / t)) : 8;
    n = Math.ceil(n * f);
  }
  const times = [];
  for (let k = 0; k < settings.batches; k++)
    times.push(batch(n));
  times.sort((a, b) => a - b);
  return { ns: times[times.length >> 1] / n, reps: n };
}
