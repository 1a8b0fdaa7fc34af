// The renewal claim of one generation of a login, over a board of write-once records (the Actions
// cache). Pure decision code over the board interface, so the same code runs against the real cache
// and in the randomized test's memory. Slots, sightings and staleness: docs/design.md (Claims).

/** A claim record, sealed like every stored copy (only a holder of the encryption key writes one). */
export interface ClaimRecord {
  nonce: string;
  /** For messages: run, job and runner of the holder. */
  holder: string;
  /** The cache service's time (ms) just before the claim was taken, if it sent one. */
  at?: number;
}

export interface FreeRecord {
  nonce: string;
  why: 'released' | 'unreadable';
  at?: number;
}

export interface ClaimBoard {
  /** Creates `record` under exactly `key`: true only when the service confirmed it (an entry exists under the key). */
  create(key: string, record: ClaimRecord | FreeRecord): Promise<boolean>;
  /** The record under `key`, or undefined when there is none or it cannot be read (or opened). */
  read<T extends ClaimRecord | FreeRecord>(key: string): Promise<T | undefined>;
  /** The service's clock (its `Date` header, ms), or undefined when it sends none or cannot be reached. */
  serverNow(): Promise<number | undefined>;
  /** This job's own clock (ms, only differences are used) and its waits. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface SlotKeys {
  claim(slot: number): string;
  free(slot: number): string;
}

/**
 * How long a claim stays in force, on the service's clock. It must exceed the longest a holder can
 * take from taking the claim to having stored its renewal: SPEND_WITHIN_MS to send the refresh,
 * the refresh with its retries (3 × 30 s), and the stores with their deadlines and retries (about
 * 20 min at worst). See docs/design.md.
 */
export const CLAIM_TTL_MS = 30 * 60_000;
/** A holder sends the refresh within this long of taking the claim, or gives the claim back unspent. */
export const SPEND_WITHIN_MS = 60_000;
/** A renewal normally takes seconds: a claim older than this is not worth waiting for. */
export const EXPECTED_RENEWAL_MS = 3 * 60_000;
/** Slots per generation: a generation that failed this often is left to the re-seed messages. */
const MAX_SLOTS = 8;
/** Waits between create attempts of a slot that nobody can be seen holding (a failed request, not a taken key). */
const CREATE_RETRY_MS = [1000, 2000];

export type SlotClaim =
  | { held: true; slot: number; nonce: string; since: number }
  | {
      held: false;
      holder: string;
      /** How old the claim is (service time, or this job's elapsed time since first seeing it). */
      ageMs: number;
      /** When (this job's clock) the claim turns stale and the next slot may be taken. */
      staleAt: number;
    };

export interface Claimer {
  nonce: string;
  holder: string;
}

/**
 * Takes the first free slot of a generation, or says who holds the live one. `firstSeen` keeps,
 * per record key, when this job first saw it (this job's clock): the age of a record that carries
 * no service time.
 */
export async function claimSlot(
  board: ClaimBoard,
  keys: SlotKeys,
  me: Claimer,
  firstSeen: Map<string, number>
): Promise<SlotClaim> {
  const started = board.now();
  const serverNow = await board.serverNow();
  const ageOf = (key: string, at: number | undefined): number => {
    if (serverNow !== undefined && at !== undefined) return Math.max(0, serverNow - at);
    const seen = firstSeen.get(key) ?? started;
    firstSeen.set(key, seen);
    return board.now() - seen;
  };
  const notHeld = (holder: string, ageMs: number): SlotClaim => ({
    held: false,
    holder,
    ageMs,
    staleAt: board.now() + CLAIM_TTL_MS - ageMs
  });

  /**
   * The age of slot `slot`'s claim: from its own service time, else from the first sighting any job
   * wrote with the service's time (written now if there is none yet), else this job's first sight.
   */
  const ageOfSlot = async (slot: number, at: number | undefined, free: FreeRecord | undefined): Promise<number> => {
    if (at !== undefined) return ageOf(keys.claim(slot), at);
    // A sighting is never earlier than the claim it saw, so an age from it is never too old. A few
    // keys, since a sighting's own write may be left half done (taken, unreadable) like the claim's.
    const sightings = [keys.free(slot), `${keys.free(slot)}.s1`, `${keys.free(slot)}.s2`];
    for (const key of sightings) {
      const record = key === sightings[0] && free ? free : await board.read<FreeRecord>(key);
      if (record?.why === 'unreadable') return ageOf(key, record.at);
      if (record || serverNow === undefined) continue;
      if (await board.create(key, { nonce: me.nonce, why: 'unreadable', at: serverNow }).catch(() => false))
        return ageOf(key, serverNow);
      const written = await board.read<FreeRecord>(key);
      if (written?.why === 'unreadable') return ageOf(key, written.at);
    }
    return ageOf(sightings[0], undefined);
  };

  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    const free = await board.read<FreeRecord>(keys.free(slot));
    const claimKey = keys.claim(slot);
    const existing = await board.read<ClaimRecord>(claimKey);
    // Released by its holder (only the holder knows its nonce).
    if (free?.why === 'released' && (!existing || existing.nonce === free.nonce)) continue;
    if (existing) {
      if (existing.nonce === me.nonce) return { held: true, slot, nonce: me.nonce, since: started };
      const age = await ageOfSlot(slot, existing.at, free);
      if (age > CLAIM_TTL_MS) continue;
      return notHeld(existing.holder, age);
    }
    if (free?.why === 'unreadable') {
      const age = await ageOfSlot(slot, undefined, free);
      if (age > CLAIM_TTL_MS) continue;
      return notHeld(`a job whose claim cannot be read (slot ${slot})`, age);
    }
    // The slot looks free: take it. A refusal is either a taken key or a failed request; a lookup tells them apart.
    let taken: { holder: string; age: number } | undefined;
    for (let attempt = 0; attempt <= CREATE_RETRY_MS.length && !taken; attempt++) {
      if (attempt > 0) await board.sleep(CREATE_RETRY_MS[attempt - 1]);
      if (await board.create(claimKey, { nonce: me.nonce, holder: me.holder, at: serverNow }))
        return { held: true, slot, nonce: me.nonce, since: started };
      const after = await board.read<ClaimRecord>(claimKey);
      if (after?.nonce === me.nonce) return { held: true, slot, nonce: me.nonce, since: started };
      if (after) taken = { holder: after.holder, age: await ageOfSlot(slot, after.at, undefined) };
    }
    // Taken, by whom nobody can read (maybe this job: a reservation whose upload failed): not ours to
    // use; it ages from the first sighting with the service's time, like any claim.
    taken ??= {
      holder: `a job whose claim cannot be read (slot ${slot})`,
      age: await ageOfSlot(slot, undefined, undefined)
    };
    if (taken.age > CLAIM_TTL_MS) continue;
    return notHeld(taken.holder, taken.age);
  }
  return notHeld(`${MAX_SLOTS} earlier renewals of this copy that did not finish`, 0);
}

/** Gives slot `slot` back: its holder did not spend the refresh token, so the next job may. */
export async function releaseSlot(board: ClaimBoard, keys: SlotKeys, claim: { slot: number; nonce: string }) {
  const at = await board.serverNow();
  return board.create(keys.free(claim.slot), { nonce: claim.nonce, why: 'released', at });
}
