/**
 * The settings file in the user data folder: the versioned JSON document of
 * common/app-settings.ts. Read once at start, written atomically (a temporary
 * file renamed over the old one, so a crash mid-write never leaves half a
 * file). A file that cannot be used is moved aside, never deleted, and the
 * user is told; nothing here throws on what is on disk.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_APP_SETTINGS, MAX_SETTINGS_FILE_BYTES, parseSettingsFile, serializeSettings, type AppSettings } from '../common/app-settings';

export const SETTINGS_FILE_NAME = 'settings.json';
/** Suffix of a file moved aside because it could not be used; a timestamp follows. */
export const CORRUPT_SUFFIX = '.corrupt-';

export type SaveResult = { ok: true } | { ok: false; message: string };

export interface LoadResult {
  settings: AppSettings;
  /** For the user when the file could not be used (what was wrong, where it went); null when all is well. */
  notice: string | null;
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (!(e instanceof Error)) return String(err);
  // Node's fs messages already start with the code ("ENOENT: no such file…").
  return e.code && !e.message.startsWith(e.code) ? `${e.code}: ${e.message}` : e.message;
}

/** `2025-01-31T12-00-00-000Z`: sortable, and valid in a file name everywhere. */
function fileStamp(now: Date): string {
  return now.toISOString().replace(/[:.]/g, '-');
}

export class SettingsStore {
  readonly path: string;
  private current: AppSettings = DEFAULT_APP_SETTINGS;

  /** `now` is for the name of a file moved aside (tests fix it). */
  constructor(readonly dir: string, private readonly now: () => Date = () => new Date()) {
    this.path = join(dir, SETTINGS_FILE_NAME);
  }

  get settings(): AppSettings {
    return this.current;
  }

  /**
   * Read the file. Missing: defaults, no notice. Unreadable, too large, not
   * JSON, wrong version or invalid fields: defaults, the file moved aside
   * (when it exists) and replaced by the defaults, and a notice saying so.
   */
  load(): LoadResult {
    let text: string;
    try {
      const size = statSync(this.path).size;
      if (size > MAX_SETTINGS_FILE_BYTES) return this.replaceUnusable(`it is larger than ${MAX_SETTINGS_FILE_BYTES} bytes`);
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.current = DEFAULT_APP_SETTINGS;
        return { settings: this.current, notice: null };
      }
      // Unreadable (permissions, a folder in its place): leave it where it is, it may be fixable by hand.
      this.current = DEFAULT_APP_SETTINGS;
      return { settings: this.current, notice: `Could not read the settings file ${this.path} (${errorText(err)}); using the defaults.` };
    }
    const parsed = parseSettingsFile(text);
    if (!parsed.ok) return this.replaceUnusable(parsed.reason);
    this.current = parsed.settings;
    return { settings: this.current, notice: null };
  }

  /** Persist new listen and/or response settings. The in-memory copy changes even when writing fails. */
  update(change: Partial<Pick<AppSettings, 'listen' | 'response'>>): SaveResult {
    this.current = { ...this.current, ...change };
    return this.write(this.current);
  }

  private replaceUnusable(reason: string): LoadResult {
    this.current = DEFAULT_APP_SETTINGS;
    const aside = `${this.path}${CORRUPT_SUFFIX}${fileStamp(this.now())}`;
    try {
      renameSync(this.path, aside);
    } catch (err) {
      return { settings: this.current, notice: `The settings file ${this.path} could not be used (${reason}) nor moved aside (${errorText(err)}); using the defaults.` };
    }
    const saved = this.write(this.current);
    const tail = saved.ok ? '' : ` Saving the defaults failed too: ${saved.message}.`;
    return { settings: this.current, notice: `The settings file could not be used (${reason}). It was moved to ${aside} and the defaults are used.${tail}` };
  }

  /** tmp + fsync + rename: readers see the old file or the new one, never a mix. */
  private write(settings: AppSettings): SaveResult {
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, serializeSettings(settings));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
      return { ok: true };
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // Nothing to clean up: the temporary file was never created.
      }
      return { ok: false, message: `could not save settings to ${this.path} (${errorText(err)})` };
    }
  }
}
