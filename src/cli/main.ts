import { Command } from 'commander';
import { registerHub } from './hub.js';

// The `concord` command. Each subcommand lives in its own module and registers itself here.
const program = new Command();
program.name('concord').description('A multi-cluster Kubernetes control plane').version('0.1.0');
registerHub(program);

await program.parseAsync(process.argv);
