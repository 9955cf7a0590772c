/**
 * mmcheck: model-check Linux memory-management implementations against their specs.
 *
 * Exit codes: 0 pass, 1 violation found (or vacuous, or a script/replay
 * disagreement), 2 usage or input error, 3 inconclusive (a state or time limit
 * or an interrupt stopped a run before it was exhaustive, or a replayed
 * schedule no longer applies).
 */
import { KernelSetupError } from '../kernel/tools.js';
import { registrationProblems } from '../checker/registration.js';
import { ScenarioError } from '../checker/product.js';
import { SpecError } from '../checker/spec-adapter.js';
import type { Subsystem } from '../checker/types.js';
import { registry as defaultRegistry } from '../subsystems/index.js';
import { ItfError } from '../traces/itf.js';
import { UsageError } from './args.js';
import { cmdCheck } from './check.js';
import { EXIT, nodeOut, quietOnClosedPipe, type Out } from './io.js';
import { cmdList } from './list.js';
import { cmdReplay } from './replay.js';
import { cmdRun } from './run-script.js';
import { cmdConform, CONFORM_HELP } from './conform.js';
import { cmdReproduce, REPRODUCE_HELP } from './reproduce.js';
import { SEARCH_HELP } from './search-flags.js';
import { cmdSimulate, SIMULATE_HELP } from './simulate.js';
import { cmdView } from './view.js';

export { EXIT, quietOnClosedPipe, type Out };

const HELP = `mmcheck: model-check Linux mm implementations against their specs

Usage:
  mmcheck check [SUBSYSTEM...] [options]   explore every interleaving of the scenarios
  mmcheck run SUBSYSTEM --script FILE      run a sequential script on spec and implementation
  mmcheck replay FILE.itf.json             re-execute a saved counterexample against the current code
  mmcheck list [SUBSYSTEM...]              subsystems, knobs, scenarios and buggy variants
  mmcheck list --ops SUBSYSTEM             the subsystem's operations and their arguments
  mmcheck conform SUBSYSTEM --kernel K     generated scripts on a real kernel vs implementation and spec
  mmcheck reproduce TRACE|SCRIPT|SUBSYSTEM --kernel K   run a counterexample on a real kernel (qemu)
  mmcheck simulate SUBSYSTEM [options]     random walks past the exhaustive limit (SAMPLED, never a pass)
  mmcheck view FILE.itf.json [--open]      write the trace viewer with FILE inside; print its path
  mmcheck --help                           this text

check options:
  --scenario NAME        only the default scenario NAME (repeatable as a comma list)
  --scenario-file FILE   check the scenario in FILE (JSON) instead of the defaults
  --profile NAME         run the subsystems' NAME scenarios instead of the defaults (deep: larger
                         configurations and menus, outside the default run's time budget)
  --variant NAME         check a buggy variant (see 'mmcheck list'); 'none' = correct code;
                         'all' = the correct code, then every variant in its scenarios
                         (each variant must be CAUGHT)
  --kernel-version V     the kernel the implementation models (e.g. 6.1, 6.12, mainline; default: newest);
                         with several implementations, only those that model V run
  --impl NAME|all        which implementation of the spec to check, for a subsystem with several
                         (e.g. thp: compound, folio; 'mmcheck list SUBSYSTEM' names them); default all
  --threads N, --ops N, --pool N, ...
                         reshape (grow or shrink) the default scenarios through the knobs
                         each subsystem declares (see 'mmcheck list SUBSYSTEM')
  --max-states N         stop after N distinct states (the run is then NOT exhaustive)
  --time-limit SECONDS   stop a scenario after SECONDS, even inside a step that never returns
  --allow-vacuous        report, but do not fail on, declared things never exercised
${SEARCH_HELP}
  --jobs N               scenarios checked in parallel (default: 2, or fewer cores); counts are the same
  --shard I/N            run only shard I of N (deterministic; the N shards make up the whole run)
  --out DIR              where counterexamples go (default traces/out); checked before the search
  --reporter LIST        text (default), json, junit, github; NAME=FILE writes to a file
                         (e.g. --reporter text,junit=report.xml); json/junit alone may use stdout
  --json                 same as --reporter json
  --quiet                one line per scenario and the counterexamples
  --verbose              the full result block for every scenario (default on a terminal)
  --heartbeat SECONDS    a progress line on stderr this often (default 10 when stderr is
                         not a terminal; 0 turns it off)
  --color / --no-color   force colour on or off (default: on when stdout is a terminal)

run options:
  --script FILE          the script: {"params": {...}, "steps": [{"op": ..., "args": {...}}, ...]}
  --variant NAME         run a buggy variant
  --impl NAME            run this implementation of the spec (default: the subsystem's main one)
  --keep-going           report every disagreement, not only the first (the spec goes on from its
                         own outcomes after one)
  --spec-only            no implementation: print at each step every outcome the spec allows

conform options:
${CONFORM_HELP.split('\n').slice(1).join('\n')}

${REPRODUCE_HELP}

${SIMULATE_HELP}

replay options:
  --variant NAME|none    replay against another variant (default: the trace's own)
  --impl NAME            replay against another implementation (default: the trace's own)

Exit codes: 0 pass, 1 violation, vacuous or missed variant (or a disagreement), 2 usage/input
error, 3 inconclusive (a limit or SIGINT/SIGTERM stopped the run before it was exhaustive, or a
replayed schedule no longer applies).`;

export interface MainOptions {
  /** Module URL exporting `registry`, for workers (default: the built-in registry's module). */
  readonly registryModule?: string;
}

const DEFAULT_REGISTRY_MODULE = new URL('../subsystems/index.js', import.meta.url).href;

export async function main(
  argv: string[],
  io: Out = nodeOut,
  subsystems: readonly Subsystem[] = defaultRegistry,
  opts: MainOptions = {},
): Promise<number> {
  const registry = subsystems;
  const registryModule = opts.registryModule ?? (subsystems === defaultRegistry ? DEFAULT_REGISTRY_MODULE : undefined);
  const [cmd, ...rest] = argv;
  try {
    const problems = registry.flatMap(registrationProblems);
    if (problems.length > 0) throw new Error(`registration: ${problems.join('; ')}`);
    switch (cmd) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.out(HELP);
        if (cmd !== undefined) return EXIT.pass;
        io.err('mmcheck: no command given (commands: check, run, replay, list, conform, reproduce, simulate, view)');
        return EXIT.usage;
      case 'check':
        return await cmdCheck(rest, io, { registry, registryModule });
      case 'run':
        return await cmdRun(rest, io, registry);
      case 'replay':
        return await cmdReplay(rest, io, registry);
      case 'list':
        return await cmdList(rest, io, registry);
      case 'conform':
        return await cmdConform(rest, io, registry);
      case 'reproduce':
        return await cmdReproduce(rest, io, registry);
      case 'simulate':
        return cmdSimulate(rest, io, registry);
      case 'view':
        return await cmdView(rest, io);
      default:
        throw new UsageError(
          `unknown command '${cmd}' (commands: check, run, replay, list, conform, reproduce, simulate, view; see mmcheck --help)`,
        );
    }
  } catch (e) {
    if (
      e instanceof UsageError ||
      e instanceof ScenarioError ||
      e instanceof ItfError ||
      e instanceof SpecError ||
      e instanceof KernelSetupError /* a kernel that lacks what a batch needs (a module): kernel/modules.ts */
    ) {
      io.err(`mmcheck: ${e.message.split('\n')[0]}`);
      return EXIT.usage;
    }
    // Anything else is a bug in mmcheck or in a subsystem: still one line, but say so.
    io.err(
      `mmcheck: internal error: ${(e as Error)?.message?.split('\n')[0] ?? String(e)} (set MMCHECK_DEBUG=1 for the stack)`,
    );
    if (process.env.MMCHECK_DEBUG) io.err((e as Error).stack ?? '');
    return EXIT.usage;
  }
}

const invokedDirectly = process.argv[1] && /cli[\\/]mmcheck\.(ts|js)$/.test(process.argv[1]);
if (invokedDirectly) {
  quietOnClosedPipe();
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
