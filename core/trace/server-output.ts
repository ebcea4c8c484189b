/**
 * A strict parser of what a server wrote on one connection: an HTTP/1.1 response head (plus a body for a
 * refusal), then unmasked frames (RFC 6455 §5.1, §5.2). Used by the invariant checks; independent of the core.
 */

/** One frame the server wrote. */
export interface ServerFrame {
  readonly offset: number;
  readonly fin: boolean;
  readonly rsv: number;
  readonly opcode: number;
  readonly payload: Uint8Array;
}

/** The parsed output; `problems` lists every malformation found (empty when well-formed). */
export interface ServerOutput {
  /** The status code, undefined when there is no (complete) response head. */
  readonly status: number | undefined;
  /** Where the frames (or the body) start. */
  readonly headEnd: number;
  readonly frames: readonly ServerFrame[];
  readonly problems: readonly string[];
}

const latin1 = new TextDecoder('latin1');

/** Parses `output` strictly. */
export function parseServerOutput(output: Uint8Array): ServerOutput {
  const problems: string[] = [];
  const frames: ServerFrame[] = [];
  if (output.length === 0) return { status: undefined, headEnd: 0, frames, problems };
  let headEnd = -1;
  for (let i = 0; i + 3 < output.length; i++) {
    if (output[i] === 13 && output[i + 1] === 10 && output[i + 2] === 13 && output[i + 3] === 10) {
      headEnd = i + 4;
      break;
    }
  }
  if (headEnd < 0) {
    problems.push('output does not start with a complete HTTP response head');
    return { status: undefined, headEnd: 0, frames, problems };
  }
  const head = latin1.decode(output.subarray(0, headEnd));
  const lines = head.split('\r\n');
  const statusLine = lines[0] ?? '';
  const m = /^HTTP\/1\.1 ([1-5][0-9][0-9]) [^\r\n]*$/.exec(statusLine);
  if (m === null) {
    problems.push(`bad status line ${JSON.stringify(statusLine.slice(0, 80))}`);
    return { status: undefined, headEnd, frames, problems };
  }
  const status = Number(m[1]);
  let contentLength: number | undefined;
  for (const line of lines.slice(1, -2)) {
    const colon = line.indexOf(':');
    if (colon <= 0) {
      problems.push(`bad header line ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    const name = line.slice(0, colon).toLowerCase();
    if (name === 'content-length') contentLength = Number(line.slice(colon + 1).trim());
  }
  if (status !== 101) {
    const bodyLength = contentLength ?? 0;
    if (!Number.isInteger(bodyLength)) problems.push('bad Content-Length');
    else if (output.length !== headEnd + bodyLength) problems.push(`response of ${output.length - headEnd} bytes after the head, Content-Length ${bodyLength}`);
    return { status, headEnd, frames, problems };
  }
  let at = headEnd;
  while (at < output.length) {
    if (output.length - at < 2) {
      problems.push(`partial frame header at ${at}`);
      break;
    }
    const b0 = output[at] as number;
    const b1 = output[at + 1] as number;
    if ((b1 & 0x80) !== 0) problems.push(`masked server frame at ${at} (RFC 6455 §5.1)`);
    let length = b1 & 0x7f;
    let p = at + 2;
    if (length === 126) {
      if (output.length - p < 2) {
        problems.push(`partial frame header at ${at}`);
        break;
      }
      length = (output[p]! << 8) | output[p + 1]!;
      if (length < 126) problems.push(`non-minimal 16-bit length at ${at}`);
      p += 2;
    } else if (length === 127) {
      if (output.length - p < 8) {
        problems.push(`partial frame header at ${at}`);
        break;
      }
      if (output[p]! & 0x80) problems.push(`64-bit length with MSB set at ${at}`);
      length = 0;
      for (let k = 0; k < 8; k++) length = length * 256 + output[p + k]!;
      if (length < 0x10000) problems.push(`non-minimal 64-bit length at ${at}`);
      p += 8;
    }
    if ((b1 & 0x80) !== 0) p += 4;
    if (output.length - p < length) {
      problems.push(`partial frame payload at ${at} (${output.length - p} of ${length} bytes)`);
      break;
    }
    frames.push({ offset: at, fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, payload: output.subarray(p, p + length) });
    at = p + length;
  }
  return { status, headEnd, frames, problems };
}
