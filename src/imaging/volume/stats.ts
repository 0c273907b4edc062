// Summary statistics of a volume for `inspect` and logs (no patient data: numbers only).

/** Minimum, maximum and mean of an int16 volume in one pass. */
export function huRange(data: Int16Array): { min: number; max: number; mean: number } {
  let min = 32767;
  let max = -32768;
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: data.length ? sum / data.length : 0 };
}
