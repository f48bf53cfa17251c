import { Command } from 'commander';
import { errorMessage } from '../machinery/status.js';
import { registerAgent } from './agent.js';
import { registerApp } from './app.js';
import { registerAudit } from './audit.js';
import { registerClusterApi } from './clusterapi.js';
import { registerDrill } from './drill.js';
import { registerFault } from './fault.js';
import { registerHub } from './hub.js';
import { registerJoin } from './join.js';
import { registerSim } from './sim.js';
import { registerStatus } from './status.js';
import { registerUp } from './up.js';

// The `concord` command. Each subcommand lives in its own module and registers itself here.
const program = new Command();
program.name('concord').description('A multi-cluster Kubernetes control plane').version('0.1.0');
registerHub(program);
registerUp(program);
registerSim(program);
registerFault(program);
registerJoin(program);
registerStatus(program);
registerAgent(program);
registerApp(program);
registerAudit(program);
registerDrill(program);
registerClusterApi(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Users get the message; a stack trace only when asked for.
  if (process.env.CONCORD_DEBUG) console.error(err);
  else console.error(`concord: ${errorMessage(err)}`);
  process.exit(1);
}
