// Record ids: UUIDv7 (RFC 9562 §5.7), time-ordered and unique without coordination.
import { fillRandom } from "./entropy.js";

// RFC 9562 §6.2 method 1: rand_a is a 12-bit counter within one millisecond, seeded randomly with
// its top bit clear so it rarely overflows; on overflow the timestamp moves one millisecond ahead.
let lastMs = -1;
let counter = 0;

/**
 * A new UUIDv7 whose 48-bit timestamp is `nowMs` (Unix milliseconds). Within this process every id
 * sorts after the previous one, even when the clock stands still or steps back.
 */
export function newRecordId(nowMs: number = Date.now()): string {
  const b = Buffer.allocUnsafe(16);
  fillRandom(b, 6, 16);
  let ms = Math.max(Math.floor(nowMs), lastMs);
  if (ms === lastMs && counter < 0xfff) {
    counter++;
  } else {
    if (ms === lastMs) ms++;
    counter = b.readUInt16BE(6) & 0x7ff;
  }
  lastMs = ms;

  b.writeUIntBE(ms, 0, 6); // unix_ts_ms, 48 bits
  b.writeUInt16BE(0x7000 | counter, 6); // ver = 7, rand_a = counter
  b.writeUInt8(0x80 | (b.readUInt8(8) & 0x3f), 8); // var = 0b10, then 62 bits of rand_b
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
