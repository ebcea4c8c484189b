import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  OPCODE_BINARY,
  OPCODE_CLOSE,
  OPCODE_CONTINUATION,
  OPCODE_PING,
  OPCODE_PONG,
  OPCODE_TEXT,
  isControlOpcode,
  isReservedOpcode,
} from './opcodes.ts';

test('opcode values (RFC 6455 §5.2)', () => {
  assert.equal(
    [OPCODE_CONTINUATION, OPCODE_TEXT, OPCODE_BINARY, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG],
    [0, 1, 2, 8, 9, 10],
  );
});

test('control opcodes are 0x8-0xF', () => {
  for (let op = 0; op < 16; op++) assert.is(isControlOpcode(op), op >= 8, `opcode ${op}`);
});

test('reserved opcodes are 0x3-0x7 and 0xB-0xF', () => {
  const reserved = [];
  for (let op = 0; op < 16; op++) if (isReservedOpcode(op)) reserved.push(op);
  assert.equal(reserved, [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]);
});

test.run();
