/**
 * Boolean state packed in one number field: each field costs 8 bytes per object, and JavaScriptCore rounds
 * objects up to size classes, so long-lived per-connection objects keep their flags as bits of one number.
 */

/** `bits` with `flag` set when `on`, cleared otherwise. */
export function setFlag(bits: number, flag: number, on: boolean): number {
  return on ? bits | flag : bits & ~flag;
}
