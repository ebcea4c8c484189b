import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFlags, portFlag, stringFlag } from './cli-args.ts';

test('flags with values, =values, booleans and positionals', () => {
  const f = parseFlags(['echo', '--port', '9001', '--tls', '--host=::1', '--deflate', '--cert', 'c.pem', '--', 'x'], ['tls', 'deflate']);
  assert.equal(f.positional, ['echo', 'x']);
  assert.is(portFlag(f, 'port', 1), 9001);
  assert.is(stringFlag(f, 'host'), '::1');
  assert.is(f.values.get('tls'), true);
  assert.is(f.values.get('deflate'), true);
  assert.is(stringFlag(f, 'cert'), 'c.pem');
  assert.is(stringFlag(f, 'missing', 'd'), 'd');
});

test('bad values throw', () => {
  assert.throws(() => portFlag(parseFlags(['--port', 'x']), 'port', 0));
  assert.throws(() => stringFlag(parseFlags(['--cert']), 'cert'));
});

test.run();
