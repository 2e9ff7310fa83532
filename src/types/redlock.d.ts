// redlock@5.0.0-beta.2 ships types its package.json "exports" hides from TypeScript's resolver;
// this declares the part we use.
declare module 'redlock' {
  import type { Cluster, Redis } from 'ioredis';
  export interface Settings {
    driftFactor?: number;
    retryCount?: number;
    retryDelay?: number;
    retryJitter?: number;
    automaticExtensionThreshold?: number;
  }
  export class Lock {
    readonly resources: string[];
    readonly expiration: number;
    release(): Promise<unknown>;
    extend(duration: number): Promise<Lock>;
  }
  export class ExecutionError extends Error {}
  export class ResourceLockedError extends Error {}
  export default class Redlock {
    constructor(clients: Iterable<Redis | Cluster>, settings?: Partial<Settings>);
    acquire(resources: string[], duration: number, settings?: Partial<Settings>): Promise<Lock>;
  }
}
