import { Command } from 'commander';
import { errorMessage } from '../machinery/status.js';
import type { RegisterCommand } from './process.js';

// Each command's module, loaded only when it is the one run (or for the full help): loading the
// hub and the simulated clusters takes about a second, which `concord fault` or `status` should
// not pay. The order is the order of the help.
const COMMANDS: [names: string[], load: () => Promise<RegisterCommand>][] = [
  [['hub'], async () => (await import('./hub.js')).registerHub],
  [['up'], async () => (await import('./up.js')).registerUp],
  [['sim'], async () => (await import('./sim.js')).registerSim],
  [['fault'], async () => (await import('./fault.js')).registerFault],
  [['join', 'unjoin'], async () => (await import('./join.js')).registerJoin],
  [['status', 'dashboard'], async () => (await import('./status.js')).registerStatus],
  [['agent'], async () => (await import('./agent.js')).registerAgent],
  [['app'], async () => (await import('./app.js')).registerApp],
  [['audit'], async () => (await import('./audit.js')).registerAudit],
  [['drill'], async () => (await import('./drill.js')).registerDrill],
  [['get', 'describe'], async () => (await import('./clusterapi.js')).registerClusterApi],
];

// The `concord` command. Each subcommand lives in its own module and registers itself here.
const program = new Command();
program.name('concord').description('A multi-cluster Kubernetes control plane').version('0.1.0');
const named = process.argv[2];
const wanted = COMMANDS.filter(([names]) => names.includes(named ?? ''));
for (const [, load] of wanted.length > 0 ? wanted : COMMANDS) (await load())(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Users get the message; a stack trace only when asked for.
  if (process.env.CONCORD_DEBUG) console.error(err);
  else console.error(`concord: ${errorMessage(err)}`);
  process.exit(1);
}
