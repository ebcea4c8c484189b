/** Application values in a refusal (body and headers) are checked like its status: misuse throws, no broken response. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildAcceptResponse, buildRejectResponse } from './response.ts';
import { misuseCode } from '../testing.ts';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

test('a body that is neither a string nor a Uint8Array is misuse', () => {
  for (const body of [{ a: 1 }, 5, [1, 2], null, true, new ArrayBuffer(2), new Uint16Array(2)]) {
    assert.is(misuseCode(() => buildRejectResponse(200, { body: body as unknown as string })), 'INVALID_OPTION', String(body));
    assert.is(misuseCode(() => buildRejectResponse(403, { body: body as unknown as string })), 'INVALID_OPTION', String(body));
  }
});

test('string and Uint8Array bodies are framed with their byte length', () => {
  assert.match(text(buildRejectResponse(200, { body: 'hé' })), 'Content-Length: 3\r\n');
  const out = text(buildRejectResponse(403, { body: new Uint8Array([0x61, 0x62]) }));
  assert.match(out, 'Content-Length: 2\r\n');
  assert.ok(out.endsWith('\r\n\r\nab'));
});

test('headers that are not a record or pairs are misuse, not silently none', () => {
  for (const headers of [5, 'x-a: 1', null, true]) {
    assert.is(misuseCode(() => buildRejectResponse(403, { headers: headers as unknown as Record<string, string> })), 'INVALID_OPTION', String(headers));
    assert.is(
      misuseCode(() => buildAcceptResponse('dGhlIHNhbXBsZSBub25jZQ==', { headers: headers as unknown as Record<string, string> })),
      'INVALID_OPTION',
      String(headers),
    );
  }
  assert.match(text(buildRejectResponse(403, { headers: [['x-a', '1']] })), 'x-a: 1\r\n');
});

test.run();
