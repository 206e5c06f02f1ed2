// Entry of an evaluation worker thread: our sources are TypeScript run through tsx, in workers too.
import { register } from 'tsx/esm/api';

register();
await import('./attack-worker.ts');
