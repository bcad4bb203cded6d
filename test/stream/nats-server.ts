// A NATS server with JetStream of the test's own, on a free port, that the test can stop and start again.
import { spawn, type ChildProcess } from "node:child_process";
import { connect as tcpConnect } from "node:net";
import { freePort } from "../support/net.js";
export { freePort };

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export class TestNats {
  readonly url: string;
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly storeDir: string,
  ) {
    this.url = `nats://127.0.0.1:${port}`;
  }

  static async start(storeDir: string): Promise<TestNats> {
    const nats = new TestNats(await freePort(), storeDir);
    await nats.restart();
    return nats;
  }

  /** Starts the server (again) on the same port over the same JetStream store directory. */
  async restart(): Promise<void> {
    if (this.child) throw new Error("the test NATS server is running");
    this.child = spawn("nats-server", ["-js", "-sd", this.storeDir, "-a", "127.0.0.1", "-p", String(this.port)], { stdio: "ignore" });
    for (let i = 0; i < 200; i++) {
      if (await accepting(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`nats-server did not listen on ${this.port}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  }
}
