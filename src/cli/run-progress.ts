import { createLogUpdate } from "log-update";
import pc from "picocolors";
import { EventType, type EventRecord } from "../storage/records.js";
import { duration, metadataSummary } from "./format.js";

type StepView = { status: "running" | "retry" | "success" | "failure" | "skipped"; startedAt: number; endedAt: number | null; attempt: number };

const ICONS: Record<StepView["status"], string> = {
  running: pc.cyan("●"),
  retry: pc.yellow("↻"),
  success: pc.green("✔"),
  failure: pc.red("✖"),
  skipped: pc.dim("↷"),
};

/** Shows a run's progress on stderr: a live step list on a terminal, plain lines otherwise. */
export class RunProgress {
  private readonly steps = new Map<string, StepView>();
  private readonly live: ReturnType<typeof createLogUpdate> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly totalSteps: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    interactive: boolean = Boolean(process.stderr.isTTY) && process.env.CI === undefined,
  ) {
    if (interactive) {
      this.live = createLogUpdate(stream);
      this.timer = setInterval(() => this.render(), 100);
      this.timer.unref();
    }
  }

  /** Feeds one stored event. */
  onEvent = (event: EventRecord): void => {
    this.track(event);
    const line = this.line(event);
    if (!line) return;
    if (this.live) {
      this.live.clear();
      this.stream.write(`${line}\n`);
      this.render();
    } else {
      this.stream.write(`${line}\n`);
    }
  };

  /** Stops the live display, leaving the final state on screen. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.live) {
      this.render();
      this.live.done();
    }
  }

  private track(event: EventRecord): void {
    const key = event.stepKey;
    if (!key) return;
    const view = this.steps.get(key);
    switch (event.type) {
      case EventType.StepStart:
        this.steps.set(key, { status: "running", startedAt: view?.startedAt ?? event.timestamp, endedAt: null, attempt: Number(event.data.attempt ?? 1) });
        break;
      case EventType.StepUpForRetry:
        if (view) view.status = "retry";
        break;
      case EventType.StepSuccess:
      case EventType.StepFailure:
        if (view) Object.assign(view, { status: event.type === EventType.StepSuccess ? "success" : "failure", endedAt: event.timestamp });
        break;
      case EventType.StepSkipped:
        this.steps.set(key, { status: "skipped", startedAt: event.timestamp, endedAt: event.timestamp, attempt: 0 });
        break;
    }
  }

  /** The line printed for an event; live mode prints only logs and problems (the list shows the rest). */
  private line(event: EventRecord): string | undefined {
    const time = pc.dim(new Date(event.timestamp).toISOString().slice(11, 23));
    const step = event.stepKey ? ` ${pc.bold(event.stepKey)}` : "";
    switch (event.type) {
      case EventType.Log: {
        const color = event.level === "ERROR" ? pc.red : event.level === "WARN" ? pc.yellow : (s: string) => s;
        return `${time} ${color(event.level.padEnd(5))}${step} ${event.message}`;
      }
      case EventType.StepFailure:
      case EventType.StepUpForRetry:
      case EventType.RunFailure:
        return `${time} ${pc.red(event.type)}${step} ${event.message}`;
      case EventType.AssetCheckEvaluation: {
        // A failed check is news even on a live display: its step may well have succeeded.
        if (event.data.passed === true) return this.live ? undefined : `${time} ${event.type}${step} ${event.message}`;
        const color = event.data.severity === "WARN" ? pc.yellow : pc.red;
        return `${time} ${color(event.type)}${step} ${event.message}`;
      }
      case EventType.AssetMaterialization:
        if (this.live) return undefined;
        return `${time} ${event.type}${step} ${metadataSummary(event.data.metadata)}`.trimEnd();
      default:
        if (this.live) return undefined;
        return `${time} ${event.type}${step}`;
    }
  }

  private render(): void {
    if (!this.live) return;
    const done = [...this.steps.values()].filter((s) => s.status === "success").length;
    const lines = [pc.bold(`Steps ${done}/${this.totalSteps}`)];
    const shown = [...this.steps.entries()];
    // Keep the live area short on big runs: the running and failed steps matter most.
    const visible = shown.length > 20 ? shown.filter(([, s]) => s.status !== "success" && s.status !== "skipped").slice(-20) : shown;
    for (const [key, s] of visible) {
      lines.push(`  ${ICONS[s.status]} ${key} ${pc.dim(duration(s.startedAt, s.endedAt))}${s.attempt > 1 ? pc.yellow(` attempt ${s.attempt}`) : ""}`);
    }
    this.live(lines.join("\n"));
  }
}
