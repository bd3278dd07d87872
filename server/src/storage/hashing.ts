import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { SizeExceeded } from "./store.ts";

/** A pass-through stream that hashes and counts the bytes flowing through it, failing past `maxBytes`. */
export class HashingStream extends Transform {
  private readonly hash = createHash("sha256");
  bytes = 0n;

  constructor(private readonly maxBytes: bigint = BigInt(Number.MAX_SAFE_INTEGER)) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += BigInt(chunk.length);
    if (this.bytes > this.maxBytes) {
      callback(new SizeExceeded(`more than the declared ${this.maxBytes} bytes arrived`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  /** Hex sha256 of everything that passed; call once the stream has finished. */
  digest(): string {
    return this.hash.digest("hex");
  }
}
