// Bench-only preload (`node --import ./module-log.js`): records the URL of every module the process
// resolves through the ESM loader into the file BENCH_MODULE_LOG, so a run can show which packages a
// gateway loaded (tracing off must load none of OpenTelemetry's). Costs start-up time only.
import { register } from 'node:module';

register('./module-log-hooks.js', import.meta.url);
