/**
 * The lives of a hugetlbfs file and of a mount, as xstate machines: what a
 * user can do to a file (close its descriptor, unlink its name) and when it
 * is gone for good (the last reference went, or the mount it lived on went).
 *
 * A file of the op language is the file `f<N>` the user creates on its mount
 * (open(O_CREAT) + ftruncate to the file size) every time the mount comes up:
 *
 *   open ──close──▶ closed ──unlink──▶ held ──release──▶ gone ──mount──▶ open
 *    │                 │                 ▲                 ▲
 *    └─unlink─▶ open_unlinked ──close────┘                 │
 *                      closed ──umount─────────────────────┘
 *
 * `held`: no descriptor and no name, only mappings keep the inode; `release`
 * is the last munmap/close/unlink (the inode is evicted with its pages and
 * reservations). `umount` succeeds only when every file of the mount is
 * `closed` or `gone` and nothing maps it: kill_sb (kill_litter_super) drops
 * every remaining name and evicts the inodes (fs/hugetlbfs/inode.c
 * hugetlbfs_fs_type.kill_sb and hugetlbfs_evict_inode() @ v6.12), so after
 * umount the mount's paths are gone (unlink: ENOENT). A mount creates fresh
 * files: nothing of the files that lived on an earlier mount survives.
 *
 * The machines are only ever run here, once per (state, event) pair when this
 * module loads: the spec's operations read the resulting tables, so xstate is
 * never called per explored state.
 */
import { setup, transition, type AnyStateMachine } from 'xstate';
import type { HugetlbParams } from './params.js';
import type { FileView } from './view.js';

export const FILE_LIVES = ['open', 'open_unlinked', 'closed', 'held', 'gone'] as const;
export type FileLife = (typeof FILE_LIVES)[number];
export const FILE_EVENTS = ['close', 'unlink', 'release', 'umount', 'mount'] as const;
export type FileEvent = (typeof FILE_EVENTS)[number];

export const fileLifecycle = setup({
  types: { events: {} as { type: FileEvent } },
}).createMachine({
  id: 'hugetlbfs-file',
  initial: 'gone',
  states: {
    open: { on: { close: 'closed', unlink: 'open_unlinked' } },
    open_unlinked: { on: { close: 'held' } },
    closed: { on: { unlink: 'held', umount: 'gone' } },
    held: { on: { release: 'gone' } },
    gone: { on: { mount: 'open', umount: 'gone' } },
  },
});

export const MOUNT_LIVES = ['unmounted', 'mounted'] as const;
export type MountLife = (typeof MOUNT_LIVES)[number];
export type MountEvent = 'mount' | 'umount';

/** A mount point: mount (EBUSY when mounted), umount (EINVAL when not mounted; EBUSY while in use). */
export const mountLifecycle = setup({
  types: { events: {} as { type: MountEvent } },
}).createMachine({
  id: 'hugetlbfs-mount',
  initial: 'unmounted',
  states: {
    unmounted: { on: { mount: 'mounted' } },
    mounted: { on: { umount: 'unmounted' } },
  },
});

type Table<S extends string, E extends string> = Readonly<Record<S, Readonly<Partial<Record<E, S>>>>>;

/**
 * Every transition of a machine without guards or context, as a table: state -> event -> next state
 * (run through xstate's pure transition API; an event the state does not take is left out).
 */
function tabulate<S extends string, E extends string>(
  machine: AnyStateMachine,
  states: readonly S[],
  events: readonly E[],
): Table<S, E> {
  const out = {} as Record<S, Partial<Record<E, S>>>;
  for (const s of states) {
    const row: Partial<Record<E, S>> = {};
    const snap = machine.resolveState({ value: s, context: {} });
    for (const e of events) {
      if (!snap.can({ type: e })) continue;
      const [next] = transition(machine, snap, { type: e });
      row[e] = next.value as S;
    }
    out[s] = row;
  }
  return out;
}

const FILE_TABLE = tabulate(fileLifecycle, FILE_LIVES, FILE_EVENTS);
const MOUNT_TABLE = tabulate(mountLifecycle, MOUNT_LIVES, ['mount', 'umount'] as const);

/** The file's next life after `ev`, or undefined when the file cannot take it (EBADF, ENOENT, EBUSY). */
export function fileStep(life: FileLife, ev: FileEvent): FileLife | undefined {
  return FILE_TABLE[life][ev];
}

/** The mount's next life after `ev`, or undefined when it cannot take it (EBUSY, EINVAL). */
export function mountStep(life: MountLife, ev: MountEvent): MountLife | undefined {
  return MOUNT_TABLE[life][ev];
}

/** The life a file's observable flags stand for. */
export function lifeOf(f: { readonly open: boolean; readonly linked: boolean; readonly evicted: boolean }): FileLife {
  if (f.evicted) return 'gone';
  if (f.open) return f.linked ? 'open' : 'open_unlinked';
  return f.linked ? 'closed' : 'held';
}

/** The observable flags of a life. */
export function flagsOf(life: FileLife): { open: boolean; linked: boolean; evicted: boolean } {
  return {
    open: life === 'open' || life === 'open_unlinked',
    linked: life === 'open' || life === 'closed',
    evicted: life === 'gone',
  };
}

/** File f<N> of `mount` in `life`, as its mount creates it: the file size in pages, nothing reserved or cached. */
export function freshFile(mount: number, p: HugetlbParams, life: FileLife): FileView {
  return { mount, size: p.fileSize, resv: [], cache: [], data: [], sealed: false, nodes: [], ...flagsOf(life) };
}
