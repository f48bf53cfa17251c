// intstr.GetScaledValueFromIntOrPercent: an int, or "N%" of a total rounded up or down.

import type { IntOrString } from './types.js';

export function scaledValue(value: IntOrString | undefined | null, total: number, roundUp: boolean): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  if (/^-?[0-9]+$/.test(value)) {
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  }
  const m = /^(-?[0-9]+)%$/.exec(value);
  if (!m) throw new Error(`invalid value for IntOrString: invalid value "${value}"`);
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}
