import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id with OWASP's recommended minimum (19 MiB memory, 2 iterations, 1 lane). The parameters travel in
 * the PHC string, so raising them later re-hashes on the next sign-in without invalidating old hashes.
 */
const ARGON2ID_OPTIONS = {
  // Algorithm.Argon2id; the package exports it as a const enum, which isolated modules cannot inline.
  algorithm: 2,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2ID_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    // A malformed stored hash verifies nothing; it must not turn a sign-in into a server error.
    return false;
  }
}

/**
 * Sign-ins that may wait for a turn at hashing, per process, beyond those hashing: about a second's worth at the
 * rates a sign-in ramp reaches. One more is refused at once, having claimed nothing, rather than queued for ever.
 */
export const PASSWORD_HASHING_QUEUE = 64;

/** A place in the hashing queue: `verify` waits for the turn and hashes; `release` gives the place back, used or not. */
export interface PasswordHashingTurn {
  verify(passwordHash: string, password: string): Promise<boolean>;
  release(): void;
}

/**
 * Turns at argon2id for requests. Each hash takes tens of milliseconds of CPU on the libuv threadpool (4 threads a
 * process): unbounded, a sign-in ramp on 2 workers ran 8 hashes at once on 2 cores, and the event loops and
 * MariaDB waited to be scheduled, a transaction holding a school's audit-chain head among them (904 chain
 * statements over 500 ms in the load test's ramp). `concurrency` hashes run at once (PASSWORD_HASHES_AT_ONCE),
 * at most PASSWORD_HASHING_QUEUE wait; `reserve` returns null when no place is left.
 */
export class PasswordHashingTurns {
  #running = 0;
  #reserved = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly queue: number = PASSWORD_HASHING_QUEUE,
  ) {}

  /** Sign-ins holding a place, hashing or waiting. */
  get occupied(): number {
    return this.#reserved;
  }

  reserve(): PasswordHashingTurn | null {
    if (this.#reserved >= this.concurrency + this.queue) return null;
    this.#reserved += 1;
    let released = false;
    let hashing = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#reserved -= 1;
      if (!hashing) return;
      // The turn passes straight to the next in the queue, so that no newcomer slips in between.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running -= 1;
    };
    return {
      verify: async (passwordHash, password) => {
        if (released || hashing) throw new Error('a hashing turn verifies once, before it is released');
        if (this.#running < this.concurrency) this.#running += 1;
        else await new Promise<void>((resolve) => this.#waiting.push(resolve));
        hashing = true;
        try {
          return await verifyPassword(passwordHash, password);
        } finally {
          release();
        }
      },
      release,
    };
  }
}

const turnsByConcurrency = new Map<number, PasswordHashingTurns>();

/** This process's turns at hashing: one queue for every request, whatever its context. */
export function passwordHashingTurns(concurrency: number): PasswordHashingTurns {
  let turns = turnsByConcurrency.get(concurrency);
  if (!turns) {
    turns = new PasswordHashingTurns(concurrency);
    turnsByConcurrency.set(concurrency, turns);
  }
  return turns;
}
