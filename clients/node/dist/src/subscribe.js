import { PresenceFilter, } from "./gen/presence/v1/presence.js";
import { Backoff, sleep } from "./retry.js";
import { messagesOf, PERMANENT, streamFailure } from "./stream.js";
/**
 * An async iterable of snapshot and event items, made by
 * `PresenceClient.subscribe`. Iterate it once with `for await`; leave the
 * loop or call {@link close} to stop. A broken stream is reopened from
 * {@link revision}, forever; a refusal that reconnecting cannot cure (a bad
 * filter) is thrown from the loop.
 */
export class Subscription {
    rpc;
    stub;
    options;
    /** The revision everything handed out so far reaches. */
    revision;
    connected = false;
    reconnects = 0;
    closed = false;
    call;
    stopping = new AbortController();
    backoff;
    constructor(rpc, stub, options) {
        this.rpc = rpc;
        this.stub = stub;
        this.options = options;
        this.revision = options.fromRevision;
        this.backoff = options.backoff ?? new Backoff();
    }
    [Symbol.asyncIterator]() {
        return this.run();
    }
    /** Stop: the stream is cancelled and the iteration ends. */
    close() {
        this.closed = true;
        this.stopping.abort();
        this.call?.cancel();
    }
    request() {
        return {
            filter: PresenceFilter.fromPartial(this.options.filter ?? {}),
            includeSnapshot: this.options.includeSnapshot ?? true,
            fromRevision: this.revision,
        };
    }
    async *run() {
        while (!this.closed) {
            // Wait for the channel rather than fail while the server is down.
            const call = this.stub.subscribePresence(this.request(), this.rpc.metadata("", true));
            this.call = call;
            const pages = [];
            let why = "the server ended the stream";
            try {
                for await (const message of messagesOf(call)) {
                    if (!this.connected) {
                        this.connected = true;
                        this.backoff.reset();
                    }
                    for (const item of this.itemsOf(message, pages)) {
                        // Advance before handing out: a reader that stops here saw it.
                        this.revision = item.revision;
                        yield item;
                    }
                    if (message.revision > (this.revision ?? 0)) {
                        this.revision = message.revision;
                    }
                }
            }
            catch (error) {
                if (this.closed) {
                    return;
                }
                const failure = streamFailure(error);
                if (PERMANENT.has(failure.code)) {
                    throw failure;
                }
                why = `${failure.codeName}: ${failure.message}`;
            }
            finally {
                call.cancel();
                this.call = undefined;
                this.connected = false;
            }
            if (this.closed) {
                return;
            }
            this.reconnects += 1;
            this.options.onReconnect?.(why, this.revision);
            await sleep(this.backoff.delay(), this.stopping.signal);
        }
    }
    itemsOf(message, pages) {
        const items = [];
        if (message.snapshot.length > 0 || message.snapshotEnd) {
            pages.push(...message.snapshot);
            if (!message.snapshotEnd) {
                return items;
            }
            items.push({
                type: "snapshot",
                presences: pages.splice(0),
                revision: message.revision,
                resync: message.resync,
            });
        }
        let after = items.length > 0 ? items[items.length - 1].revision : this.revision;
        for (const event of message.events) {
            // A resumed stream starts after our revision; this guard only matters
            // if a server ever sent an event twice.
            if (after !== undefined && event.revision <= after) {
                continue;
            }
            items.push({ type: "event", event, revision: event.revision });
            after = event.revision;
        }
        return items;
    }
}
//# sourceMappingURL=subscribe.js.map