// Paths inside the project for tests and scripts. Tests are bundled into one file for Node, where
// `import.meta.url` names the bundle, so paths are resolved from the project root instead: the directory
// of the nearest package.json named "websock" above the working directory.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cwd } from 'node:process';

let root: string | undefined;

/** The project's root directory. */
export function projectRoot(): string {
  if (root !== undefined) return root;
  let dir = cwd();
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'websock') return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error('run from inside the websock project');
    dir = parent;
  }
}

/** A path inside the project, e.g. `projectPath('core', 'frame')`. */
export function projectPath(...parts: string[]): string {
  return join(projectRoot(), ...parts);
}
