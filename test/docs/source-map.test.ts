// The README's map of the source tree and ARCHITECTURE.md name real files: a move or a new top-level
// module that the docs do not follow fails here, not in a newcomer's first hour.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');
const exists = (path: string) => existsSync(new URL(path, root));

/** The first column of the fenced block under the README's "## Architecture" heading. */
function readmeSourceMap(): string[] {
  const section =
    read('README.md')
      .split(/^## Architecture$/m)[1]
      ?.split(/^## /m)[0] ?? '';
  const block = section.split('```')[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.match(/^(src\/\S+)/)?.[1])
    .filter((path): path is string => path !== undefined);
}

/** Backticked paths in ARCHITECTURE.md that name a source or test file (relative to src/ or the root). */
function architecturePaths(): string[] {
  const text = read('ARCHITECTURE.md');
  const named = [...text.matchAll(/`([\w./-]+\.ts)`/g), ...text.matchAll(/^\S+\s+(src\/[\w./-]+)/gm)].map(
    (match) => match[1]!,
  );
  return [...new Set(named)];
}

describe("the README's source map", () => {
  const map = readmeSourceMap();

  it('is found, and names only paths that exist', () => {
    expect(map.length).toBeGreaterThan(10);
    expect(map.filter((path) => !exists(path))).toEqual([]);
  });

  it('names every top-level module of src/', () => {
    const topLevel = readdirSync(new URL('src/', root), { withFileTypes: true }).map((entry) =>
      entry.isDirectory() ? `src/${entry.name}/` : `src/${entry.name}`,
    );
    const covered = (path: string) => map.some((mapped) => mapped === path || mapped.startsWith(path));
    expect(topLevel.filter((path) => !covered(path))).toEqual([]);
  });
});

describe('ARCHITECTURE.md', () => {
  it('names only files that exist', () => {
    const paths = architecturePaths();
    expect(paths.length).toBeGreaterThan(20);
    const missing = paths.filter((path) => !exists(path) && !exists(`src/${path}`));
    expect(missing).toEqual([]);
  });
});
