import { ClientKind, } from "./gen/presence/v1/presence.js";
import { Backoff, sleep } from "./retry.js";
import { messagesOf, PERMANENT, streamFailure } from "./stream.js";
export class SessionClosedError extends Error {
    name = "SessionClosedError";
}
/**
 * Keeps one agent's `Connect` stream open, reconnecting when it breaks.
 * Made by `PresenceClient.session`.
 *
 * `await session.start()` opens it and resolves with the first presence;
 * `await session.close()` ends it (the server then starts the grace period,
 * as for any lost connection). Meanwhile `presence` is the agent's latest
 * presence, `connected` whether a stream is open now, and `updates()` /
 * `onPresence()` give every presence the server pushes. A failure that
 * reconnecting cannot cure (unknown or archived agent) ends the session:
 * `start`, `waitFor` and the `updates()` loop reject with it.
 */
export class AgentSession {
    rpc;
    stub;
    agentId;
    options;
    presence;
    sessionId = "";
    connected = false;
    reconnects = 0;
    failure;
    closed = false;
    running;
    call;
    stopping = new AbortController();
    listeners = new Set();
    endListeners = new Set();
    backoff;
    constructor(rpc, stub, agentId, options = {}) {
        this.rpc = rpc;
        this.stub = stub;
        this.agentId = agentId;
        this.options = options;
        this.backoff = options.backoff ?? new Backoff();
    }
    /** Open the stream; resolves with the presence it started with. */
    start() {
        if (this.running !== undefined) {
            throw new Error("the session is already started");
        }
        this.running = this.run();
        return this.waitFor(() => this.connected);
    }
    /** Close the stream for good. */
    async close() {
        this.closed = true;
        this.stopping.abort();
        this.call?.cancel();
        await this.running;
        this.connected = false;
        this.ended();
    }
    /** Call `listener` with every presence pushed; returns the unsubscribe. */
    onPresence(listener) {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
    }
    /** Resolves with the first presence (latest first) that satisfies `predicate`. */
    waitFor(predicate) {
        return new Promise((resolve, reject) => {
            const check = () => {
                if (this.failure !== undefined) {
                    reject(this.failure);
                }
                else if (this.closed) {
                    reject(new SessionClosedError(`the session of ${this.agentId} is closed`));
                }
                else if (this.presence !== undefined && predicate(this.presence)) {
                    resolve(this.presence);
                }
                else {
                    return false;
                }
                return true;
            };
            if (check()) {
                return;
            }
            const stop = () => {
                if (check()) {
                    unsubscribe();
                    this.endListeners.delete(stop);
                }
            };
            const unsubscribe = this.onPresence(stop);
            this.endListeners.add(stop);
        });
    }
    /** Every presence pushed from this call on, until the session ends. */
    updates() {
        const queue = [];
        let wake;
        const unsubscribe = this.onPresence((presence) => {
            queue.push(presence);
            wake?.();
        });
        const onEnd = () => wake?.();
        this.endListeners.add(onEnd);
        const session = this;
        return {
            async *[Symbol.asyncIterator]() {
                try {
                    for (;;) {
                        const next = queue.shift();
                        if (next !== undefined) {
                            yield next;
                            continue;
                        }
                        if (session.failure !== undefined) {
                            throw session.failure;
                        }
                        if (session.closed) {
                            return;
                        }
                        await new Promise((resolve) => {
                            wake = resolve;
                        });
                        wake = undefined;
                    }
                }
                finally {
                    unsubscribe();
                    session.endListeners.delete(onEnd);
                }
            },
        };
    }
    async run() {
        while (!this.closed) {
            // Wait for the channel rather than fail while the server is down.
            const call = this.stub.connect({
                agentId: this.agentId,
                client: this.options.client ?? ClientKind.DESKTOP,
                clientName: this.options.clientName ?? "",
            }, this.rpc.metadata("", true));
            this.call = call;
            try {
                for await (const update of messagesOf(call)) {
                    this.receive(update);
                }
            }
            catch (error) {
                if (this.closed) {
                    return;
                }
                const failure = streamFailure(error);
                if (PERMANENT.has(failure.code)) {
                    this.failure = failure;
                    this.connected = false;
                    this.ended();
                    return;
                }
            }
            finally {
                call.cancel();
                this.call = undefined;
                if (this.connected) {
                    this.connected = false;
                }
            }
            if (!this.closed) {
                await sleep(this.backoff.delay(), this.stopping.signal);
            }
        }
    }
    receive(update) {
        if (update.sessionId !== this.sessionId) {
            if (this.sessionId) {
                this.reconnects += 1;
            }
            this.sessionId = update.sessionId;
            this.backoff.reset();
        }
        this.connected = true;
        const presence = update.presence;
        // Revisions only grow; an older view (a race across reconnects) is news
        // to no one.
        if (presence !== undefined &&
            (this.presence === undefined || presence.revision >= this.presence.revision)) {
            this.presence = presence;
            for (const listener of [...this.listeners]) {
                listener(presence);
            }
        }
    }
    ended() {
        for (const listener of [...this.endListeners]) {
            listener();
        }
    }
}
//# sourceMappingURL=session.js.map