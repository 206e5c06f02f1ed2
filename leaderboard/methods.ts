/**
 * @module The method catalog the site reads: title, paper, description and config defaults of each
 * entry from the method registry, imported lazily and cached. A method id found in the store but not
 * in the registry (an old or external entry) still shows, with its id as title.
 */
import { z } from 'zod';
import type { MethodEntry, PaperRef } from '../methods/define.ts';
import type { Registry } from '../harness/util/registry.ts';

export interface MethodInfo {
  id: string;
  title: string;
  registered: boolean;
  paper: PaperRef | null;
  description: string | null;
  /** JSON Schema (input side) of the entry's config, with defaults. */
  configSchema: Record<string, unknown> | null;
  /** The config an empty object parses to: the entry's defaults. */
  defaults: Record<string, unknown> | null;
  /** Why a registered entry could not be loaded, if it could not. */
  loadError: string | null;
}

export interface MethodCatalog {
  /** Registered ids (empty when the registry is missing). */
  ids(): Promise<string[]>;
  info(id: string): Promise<MethodInfo>;
}

type RegistryModule = { methods: Registry<MethodEntry> };

const unknownMethod = (id: string, loadError: string | null = null): MethodInfo => ({
  id, title: id, registered: false, paper: null, description: null, configSchema: null, defaults: null, loadError,
});

export function describeEntry(entry: MethodEntry): Omit<MethodInfo, 'loadError' | 'registered'> {
  let configSchema: Record<string, unknown> | null = null;
  let defaults: Record<string, unknown> | null = null;
  try {
    configSchema = z.toJSONSchema(entry.config, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  } catch {
    configSchema = null;
  }
  const parsed = entry.config.safeParse({});
  if (parsed.success && parsed.data && typeof parsed.data === 'object') defaults = parsed.data as Record<string, unknown>;
  return { id: entry.id, title: entry.title, paper: entry.paper ?? null, description: entry.description, configSchema, defaults };
}

/** The catalog over `methods/registry.ts` (or any loader giving a module with a `methods` registry). */
export function registryCatalog(load: () => Promise<RegistryModule> = () => import('../methods/registry.ts')): MethodCatalog {
  let registry: Promise<Registry<MethodEntry> | null> | undefined;
  const getRegistry = () =>
    (registry ??= load().then(
      (m) => m.methods,
      (err: unknown) => {
        console.error(`leaderboard: method registry unavailable: ${(err as Error).message}`);
        return null;
      },
    ));
  const infos = new Map<string, Promise<MethodInfo>>();
  return {
    async ids() {
      return (await getRegistry())?.ids() ?? [];
    },
    info(id) {
      let p = infos.get(id);
      if (!p) {
        p = (async () => {
          const reg = await getRegistry();
          if (!reg?.has(id)) return unknownMethod(id);
          try {
            return { ...describeEntry(await reg.get(id)), id, registered: true, loadError: null };
          } catch (err) {
            return { ...unknownMethod(id, (err as Error).message), registered: true };
          }
        })();
        infos.set(id, p);
      }
      return p;
    },
  };
}

/** A fixed catalog, for tests and for serving without the registry. */
export function staticCatalog(entries: readonly MethodEntry[]): MethodCatalog {
  const byId = new Map(entries.map((e) => [e.id, e]));
  return {
    ids: async () => [...byId.keys()],
    info: async (id) => {
      const e = byId.get(id);
      return e ? { ...describeEntry(e), registered: true, loadError: null } : unknownMethod(id);
    },
  };
}
