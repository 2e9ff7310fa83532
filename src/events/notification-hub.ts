import type { EventEnvelope } from './catalog.js';

export interface Subscriber {
  /** Delivers one event; must not throw. */
  send(event: EventEnvelope): void;
  /** Asks the stream to end (server shutdown). */
  close(): void;
}

/** Whose event this is: the user named in the payload, if any. */
export function recipientOf(event: EventEnvelope): number | undefined {
  const userId = (event.payload as { userId?: unknown }).userId;
  return typeof userId === 'number' ? userId : undefined;
}

/**
 * The SSE streams open on this API process, by user. Pure in-memory: the notifications consumer
 * pushes every event in, and only the streams of the event's own user receive it.
 */
export class NotificationHub {
  private readonly byUser = new Map<number, Set<Subscriber>>();

  constructor(private readonly maxStreamsPerUser: number) {}

  hasRoomFor(userId: number): boolean {
    return (this.byUser.get(userId)?.size ?? 0) < this.maxStreamsPerUser;
  }

  /** Registers a stream; returns its unsubscribe function, or undefined when the user has too many. */
  subscribe(userId: number, subscriber: Subscriber): (() => void) | undefined {
    const set = this.byUser.get(userId) ?? new Set<Subscriber>();
    if (set.size >= this.maxStreamsPerUser) return undefined;
    set.add(subscriber);
    this.byUser.set(userId, set);
    return () => {
      set.delete(subscriber);
      if (set.size === 0 && this.byUser.get(userId) === set) this.byUser.delete(userId);
    };
  }

  /** Returns how many streams received the event. */
  publish(event: EventEnvelope): number {
    const userId = recipientOf(event);
    const set = userId === undefined ? undefined : this.byUser.get(userId);
    if (!set) return 0;
    for (const s of set) s.send(event);
    return set.size;
  }

  streamCount(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  closeAll(): void {
    for (const set of [...this.byUser.values()]) for (const s of [...set]) s.close();
  }
}
