// One run at a time of a piece of work that signals may ask for at any rate (the event feed's read, the sessions'
// re-check): a call during a run makes that run go once more when it ends, so no signal is lost and none
// starts a second run alongside. A failed run is reported and ends; the next signal or timer tries again.

export class CoalescedRun {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Runs the work now, or once more after the run under way; resolves when that run is done. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.work();
        } catch (error) {
          this.onError(error as Error);
          return;
        }
      } while (this.again);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Whether a run is under way. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Resolves once no run is under way. */
  async idle(): Promise<void> {
    await this.running;
  }
}
