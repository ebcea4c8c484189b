import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { judge, type JudgeInput } from './judge.ts';
import type { CloseFacts, ExpectedClose, ObservedEvent } from './types.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const msg = (s: string, binary = false): ObservedEvent => ({ kind: 'message', data: enc(s), binary });
const CLEAN: ExpectedClose = { closedByMe: true, closeCode: [1000], requireClean: true };
const FAIL_1007: ExpectedClose = { closedByMe: false, closeCode: [1007], requireClean: false, closedByWrongEndpointIsFatal: true };

const cleanFacts: CloseFacts = {
  opened: true, closedByMe: true, failedByMe: false, droppedByMe: false, wasClean: true,
  remoteCloseCode: 1000, remoteCloseReason: null, wasNotCleanReason: null,
};

function input(over: Partial<JudgeInput>): JudgeInput {
  return { expected: [['OK', [msg('hi')]]], received: [msg('hi')], expectedClose: CLEAN, facts: cleanFacts, ...over };
}

test('matching events and a clean close by the client: OK / OK', () => {
  const j = judge(input({}));
  assert.is(j.behavior, 'OK');
  assert.is(j.behaviorClose, 'OK');
});

test('the first declared verdict whose sequence matches wins (NON-STRICT)', () => {
  const j = judge(input({ expected: [['OK', [{ kind: 'timeout', tag: 'A' }]], ['NON-STRICT', [{ kind: 'timeout', tag: 'A' }, { kind: 'timeout', tag: 'B' }]]],
    received: [{ kind: 'timeout', tag: 'A' }, { kind: 'timeout', tag: 'B' }] }));
  assert.is(j.behavior, 'NON-STRICT');
});

test('payload bytes and message type are compared', () => {
  assert.is(judge(input({ received: [msg('ho')] })).behavior, 'FAILED');
  assert.is(judge(input({ received: [msg('hi', true)] })).behavior, 'FAILED');
  assert.is(judge(input({ received: [msg('hi'), msg('hi')] })).behavior, 'FAILED');
});

test('a preset behaviour stands when there are no expected sequences', () => {
  const j = judge(input({ expected: [], received: [], presetBehavior: 'UNIMPLEMENTED', presetResult: 'declined' }));
  assert.is(j.behavior, 'UNIMPLEMENTED');
  assert.is(j.result, 'declined');
});

test('close by the wrong endpoint: FAILED close', () => {
  const j = judge(input({ facts: { ...cleanFacts, closedByMe: false } }));
  assert.is(j.behaviorClose, 'FAILED');
  assert.is(j.behavior, 'OK');
});

test('clean close required but the client had to drop: UNCLEAN', () => {
  const j = judge(input({ facts: { ...cleanFacts, wasClean: false, droppedByMe: true } }));
  assert.is(j.behaviorClose, 'UNCLEAN');
});

test('a close code outside the accepted ones: WRONG CODE; an absent code is accepted', () => {
  assert.is(judge(input({ facts: { ...cleanFacts, remoteCloseCode: 1001 } })).behaviorClose, 'WRONG CODE');
  assert.is(judge(input({ facts: { ...cleanFacts, remoteCloseCode: null } })).behaviorClose, 'OK');
});

test('the client dropped TCP after a proper close: FAILED BY CLIENT', () => {
  const j = judge(input({ expectedClose: { closedByMe: false, closeCode: [1002], requireClean: false },
    facts: { ...cleanFacts, closedByMe: false, droppedByMe: true, wasClean: false, remoteCloseCode: 1002 } }));
  assert.is(j.behaviorClose, 'FAILED BY CLIENT');
});

test('server failing the connection by dropping TCP (no close frame) is OK when allowed', () => {
  const j = judge(input({ expected: [['OK', []]], received: [], expectedClose: { closedByMe: false, closeCode: [1002], requireClean: false },
    facts: { ...cleanFacts, closedByMe: false, wasClean: false, remoteCloseCode: null } }));
  assert.is(j.behavior, 'OK');
  assert.is(j.behaviorClose, 'OK');
});

test('closedByWrongEndpointIsFatal: the client closing fails the behaviour too', () => {
  const j = judge(input({ expected: [['OK', []]], received: [], expectedClose: FAIL_1007, facts: { ...cleanFacts, closedByMe: true } }));
  assert.is(j.behavior, 'FAILED');
  assert.is(j.behaviorClose, 'FAILED');
});

test('handshake never completed: FAILED close', () => {
  const j = judge(input({ received: [], facts: { ...cleanFacts, opened: false } }));
  assert.is(j.behavior, 'FAILED');
  assert.is(j.behaviorClose, 'FAILED');
  assert.match(j.resultClose, /opening handshake/);
});

test.run();
