/** Worker threads for CPU work (pool.ts). */
export { createWorkerPool, moduleBeside, type TaskModule, type WorkerPool } from './pool.ts';
