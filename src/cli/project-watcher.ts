import { watch, readdirSync, statSync, type FSWatcher } from "node:fs";
import path from "node:path";

/** Directory names never watched: dependencies, build output, the instance, VCS data. */
const IGNORED_DIRS = new Set(["node_modules", ".sluice", "dist", ".git"]);
/** Files whose change means the definitions may have changed (data files written by runs do not). */
const WATCHED_FILE = /\.(?:[cm]?[jt]s|[jt]sx)$|^(?:package\.json|tsconfig(?:\.[\w-]+)?\.json|\.env)$/;
/** More directories than this is not a project folder (or someone pointed us at /): stop adding. */
const MAX_DIRS = 2000;

/** Options of {@link watchProject}. */
export interface WatchOptions {
  /** Quiet time after the last change before `onChange` runs (default 200 ms). */
  debounceMs?: number;
  /** Absolute paths never watched (the instance home when it lives inside the project). */
  ignore?: readonly string[];
  log?: (line: string) => void;
}

/** A running watch; `close()` stops it. */
export interface ProjectWatcher {
  close(): void;
}

/**
 * Watches the source files under `root` (recursively, skipping node_modules, .sluice, dist, .git
 * and `ignore`), and calls `onChange` with the changed files once changes have stopped for
 * `debounceMs`. One non-recursive watcher per directory: Node 20's recursive mode on Linux would
 * also walk node_modules.
 */
export function watchProject(root: string, onChange: (files: string[]) => void, options: WatchOptions = {}): ProjectWatcher {
  const debounceMs = options.debounceMs ?? 200;
  const ignored = new Set((options.ignore ?? []).map((p) => path.resolve(p)));
  const watchers = new Map<string, FSWatcher>();
  let changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let warned = false;

  const flush = (): void => {
    timer = undefined;
    if (closed || changed.size === 0) return;
    const files = [...changed];
    changed = new Set();
    onChange(files);
  };

  const top = path.resolve(root);
  // The root itself is always watched, even when it is called `dist` (compiled definitions).
  const isIgnoredDir = (dir: string): boolean => dir !== top && (IGNORED_DIRS.has(path.basename(dir)) || ignored.has(dir));

  const add = (dir: string): void => {
    if (closed || watchers.has(dir) || isIgnoredDir(dir)) return;
    if (watchers.size >= MAX_DIRS) {
      if (!warned) options.log?.(`watching only the first ${MAX_DIRS} directories under ${root}`);
      warned = true;
      return;
    }
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false }, (_event, name) => onEvent(dir, name?.toString()));
    } catch {
      return; // Gone already, or not readable: nothing to watch.
    }
    watcher.on("error", () => {
      watcher.close();
      watchers.delete(dir);
    });
    watchers.set(dir, watcher);
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      const full = path.join(dir, name);
      if (isDirectory(full)) add(full);
    }
  };

  const onEvent = (dir: string, name: string | undefined): void => {
    if (closed || !name) return;
    const full = path.join(dir, name);
    if (ignored.has(full)) return;
    if (isDirectory(full)) {
      // A new directory (or one moved in): watch it and everything in it. It is a change only when
      // it brings sources (moved in): an output folder the pipeline creates reloads nothing.
      if (watchers.has(full) || isIgnoredDir(full)) return;
      add(full);
      const source = firstSourceIn(full);
      if (source === undefined) return;
      changed.add(source);
    } else if (WATCHED_FILE.test(name)) {
      changed.add(full);
    } else if (watchers.has(full)) {
      // A watched directory went away.
      watchers.get(full)!.close();
      watchers.delete(full);
      return;
    } else {
      return;
    }
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, debounceMs);
  };

  add(top);
  return {
    close(): void {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}

/** A source file under `dir` (outside ignored folders, looking at 2,000 entries at most), if any. */
function firstSourceIn(dir: string): string | undefined {
  const pending = [dir];
  let seen = 0;
  while (pending.length > 0 && seen < 2000) {
    const current = pending.pop()!;
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      seen++;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (!IGNORED_DIRS.has(entry.name)) pending.push(full);
      } else if (WATCHED_FILE.test(entry.name)) {
        return full;
      }
    }
  }
  return undefined;
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
