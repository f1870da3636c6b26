/** A loopback port that was free a moment ago. */
export declare function freePort(): Promise<number>;
export declare class ServerProcess {
    readonly dataDir: string;
    readonly port: number;
    private readonly child;
    readonly output: string[];
    private exited;
    private constructor();
    get address(): string;
    /** Start a server; resolves once it says where it listens. */
    static start(options?: {
        dataDir?: string;
        port?: number;
        env?: Record<string, string>;
    }): Promise<ServerProcess>;
    private waitUntilListening;
    /** SIGTERM, then the exit code. */
    stop(): Promise<number | null>;
    /** Stop, then start another server on the same port and data. */
    restart(): Promise<ServerProcess>;
    /** Stop and delete the data directory. */
    dispose(): Promise<void>;
}
/** Poll `condition` until it holds; fail after `timeoutMs`. */
export declare function until(condition: () => boolean, what: string, timeoutMs?: number): Promise<void>;
