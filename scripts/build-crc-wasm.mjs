// Generates src/demux/ogg/crc-simd-wasm.ts: the WebAssembly (SIMD) Ogg page CRC of crc-fast.ts.
//
// wabt is a development-time tool only, deliberately not in package.json:
//   npm install --no-save --prefix /tmp/wabt wabt
//   node scripts/build-crc-wasm.mjs [/tmp/wabt/node_modules/wabt] [--wat]   (--wat prints the text)
//
// CRC_PIECE=32 or 64 (bytes per lane per block, default 16) build longer blocks: fewer skips, more
// padding and code. Measured on Node 24 (13 KB, 4 KB and 1 KB pages), no steady gain over 16.
//
// The algorithm (see crc-fast.ts for why it is correct). The Ogg CRC (RFC 3533 §6) is the MSB-first
// CRC-32 with polynomial 0x04C11DB7 and initial value 0, so it is linear over GF(2) and zero bytes
// in front of a message do not change it. A page is cut into blocks of 256 bytes (its first,
// partial block padded in front with zeros), and each block into 16 pieces of 16 bytes (with the
// default CRC_PIECE; the sizes below scale with it). The 16
// lanes of a v128 run 16 byte-at-a-time CRCs side by side, lane l over piece l of every block:
//
//   - state: the lanes' 32-bit CRC registers, byte-sliced over four v128 (s3 holds bits 31-24 of
//     every lane, ... s0 bits 7-0), so that shifting a register left by 8 is renaming s2 to s3 etc.;
//   - data: the 16 rows of a block, transposed (a 16x16 byte transpose: four rounds of byte
//     interleaving), give for each step t the vector of byte t of every piece;
//   - step: i = s3 ^ byte; s = (s << 8) ^ T[i], with T[i] = T[i & 0x0f] ^ T[i & 0xf0] (linearity),
//     each 16-entry half-table a byte at a time: 8 table lookups (i8x16.relaxed_swizzle) per step;
//   - between blocks every lane skips the other 15 pieces (240 bytes): its register is multiplied
//     by x^(8*240) mod P, a linear map looked up nibble by nibble (32 lookups per block);
//   - at the end lane l stands (15 - l) pieces before the page's end: the lanes are combined by
//     Horner's rule, crc = (crc * x^(8*16) mod P) ^ lane[l], with four 256-entry tables.
//
// Lookups index 16-entry tables with values below 16, where relaxed_swizzle is fully specified
// (it differs from i8x16.swizzle only for indices of 16 and above), and it is one instruction
// (pshufb, tbl) where swizzle needs two on x86.
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import process from 'node:process';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const printWat = args.includes('--wat');
/** Bytes per lane per block: 16 (one 16x16 transpose per block) or a multiple of it (fewer skips, more padding). */
const PIECE = Number(process.env.CRC_PIECE ?? 16);
const BLOCK = 16 * PIECE;
const wabtPath = args.find((a) => !a.startsWith('--')) ?? '/tmp/wabt/node_modules/wabt';

/** Memory layout (byte offsets); the tables are written by crc-fast.ts at load. */
const LAYOUT = {
  /** Step tables: T[n] (n < 16) byte k at 16k + n; T[n << 4] byte k at 64 + 16k + n. */
  step: 0,
  /** Skip tables, x^(8*15*PIECE) mod P: for register byte k, nibble h and result byte j, 16 bytes at 16 * ((2k + h) * 4 + j). */
  skip: 256,
  /** Horner tables, x^(8*PIECE) mod P: for register byte k, 256 little-endian u32 at 1024k. */
  horner: 1024,
  /** The lanes' registers, stored for the Horner combination: byte k of lane l at 16k + l. */
  lanes: 5120,
  /** The first block of a page, zero-padded in front (up to 1 KiB, PIECE 64). */
  pad: 5376,
  /** Where pages are copied to. */
  window: 8192,
  /** Bytes per lane per block ({@link PIECE}): the skip tables are for 15 pieces, the Horner tables for one. */
  piece: PIECE,
};
const WINDOW_SIZE = 2 * 65536;
const PAGES = Math.ceil((LAYOUT.window + WINDOW_SIZE) / 65536);

const lines = [];
const emit = (s) => lines.push(s);
const get = (n) => `(local.get $${n})`;
const swizzle = (table, index) => `(i8x16.relaxed_swizzle ${table} ${index})`;
const xorTree = (terms) => {
  let level = terms;
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? `(v128.xor ${level[i]} ${level[i + 1]})` : level[i]);
    level = next;
  }
  return level[0];
};

/** Loads 16 bytes of each lane's piece (the `tile`-th) into r0..r15 and transposes them; returns the step vectors' names. */
function transposeBlock(tile) {
  for (let l = 0; l < 16; l++) emit(`(local.set $r${l} (v128.load offset=${PIECE * l + 16 * tile} (local.get $base)))`);
  let names = Array.from({ length: 16 }, (_, l) => `r${l}`);
  // Four rounds of out[2i] = interleave_low(in[i], in[i + 8]), out[2i + 1] = interleave_high(...)
  // transpose a 16x16 byte matrix (a perfect shuffle per round, 16 = 2^4).
  for (let round = 0; round < 4; round++) {
    const target = round % 2 === 0 ? 'u' : 'r';
    const out = [];
    for (let i = 0; i < 8; i++) {
      const a = get(names[i]);
      const b = get(names[i + 8]);
      emit(`(local.set $${target}${2 * i} (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 ${a} ${b}))`);
      emit(`(local.set $${target}${2 * i + 1} (i8x16.shuffle 8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31 ${a} ${b}))`);
      out.push(`${target}${2 * i}`, `${target}${2 * i + 1}`);
    }
    names = out;
  }
  return names;
}

/** One byte into every lane: s = (s << 8) ^ T[(s >> 24) ^ byte]. */
function step(data) {
  emit(`(local.set $i (v128.xor ${get('s3')} ${get(data)}))`);
  emit(`(local.set $lo (v128.and ${get('i')} ${get('nibble')}))`);
  emit(`(local.set $hi (v128.and (i16x8.shr_u ${get('i')} (i32.const 4)) ${get('nibble')}))`);
  emit(`(local.set $s3 (v128.xor ${get('s2')} (v128.xor ${swizzle(get('tl3'), get('lo'))} ${swizzle(get('th3'), get('hi'))})))`);
  emit(`(local.set $s2 (v128.xor ${get('s1')} (v128.xor ${swizzle(get('tl2'), get('lo'))} ${swizzle(get('th2'), get('hi'))})))`);
  emit(`(local.set $s1 (v128.xor ${get('s0')} (v128.xor ${swizzle(get('tl1'), get('lo'))} ${swizzle(get('th1'), get('hi'))})))`);
  emit(`(local.set $s0 (v128.xor ${swizzle(get('tl0'), get('lo'))} ${swizzle(get('th0'), get('hi'))}))`);
}

/** Every lane's register times x^(8*240) mod P: the 240 bytes of the other lanes' pieces. */
function skip() {
  for (let k = 0; k < 4; k++) {
    emit(`(local.set $n${k}0 (v128.and ${get(`s${k}`)} ${get('nibble')}))`);
    emit(`(local.set $n${k}1 (v128.and (i16x8.shr_u ${get(`s${k}`)} (i32.const 4)) ${get('nibble')}))`);
  }
  for (let j = 0; j < 4; j++) {
    const terms = [];
    for (let k = 0; k < 4; k++) {
      for (let h = 0; h < 2; h++) terms.push(swizzle(`(v128.load offset=${LAYOUT.skip + 16 * ((2 * k + h) * 4 + j)} (i32.const 0))`, get(`n${k}${h}`)));
    }
    emit(`(local.set $s${j} ${xorTree(terms)})`);
  }
}

const hornerLookup = (k, index) => `(i32.load offset=${LAYOUT.horner + 1024 * k} ${index})`;
const laneByte = (k) => `(i32.load8_u offset=${LAYOUT.lanes + 16 * k} (local.get $l))`;

emit(`(if (i32.eqz (local.get $len)) (then (return (i32.const 0))))`);
emit(`(local.set $end (i32.add (local.get $p) (local.get $len)))`);
emit(`;; The first block: the page's first len % ${BLOCK} bytes behind zeros (or a whole block).`);
emit(`(local.set $head (i32.and (local.get $len) (i32.const ${BLOCK - 1})))`);
emit(`(if (local.get $head)
      (then
        (memory.fill (i32.const ${LAYOUT.pad}) (i32.const 0) (i32.sub (i32.const ${BLOCK}) (local.get $head)))
        (memory.copy (i32.sub (i32.const ${LAYOUT.pad + BLOCK}) (local.get $head)) (local.get $p) (local.get $head))
        (local.set $base (i32.const ${LAYOUT.pad}))
        (local.set $p (i32.add (local.get $p) (local.get $head))))
      (else
        (local.set $base (local.get $p))
        (local.set $p (i32.add (local.get $p) (i32.const ${BLOCK})))))`);
emit(`(local.set $nibble (i8x16.splat (i32.const 15)))`);
for (let k = 0; k < 4; k++) {
  emit(`(local.set $tl${k} (v128.load offset=${LAYOUT.step + 16 * k} (i32.const 0)))`);
  emit(`(local.set $th${k} (v128.load offset=${LAYOUT.step + 64 + 16 * k} (i32.const 0)))`);
}
emit(`(block $blocks_done (loop $blocks`);
for (let tile = 0; tile < PIECE / 16; tile++) {
  const rows = transposeBlock(tile);
  for (let t = 0; t < 16; t++) step(rows[t]);
}
emit(`(br_if $blocks_done (i32.ge_u (local.get $p) (local.get $end)))`);
skip();
emit(`(local.set $base (local.get $p))`);
emit(`(local.set $p (i32.add (local.get $p) (i32.const ${BLOCK})))`);
emit(`(br $blocks)))`);
emit(`;; Horner over the lanes, lane 0 first.`);
for (let k = 0; k < 4; k++) emit(`(v128.store offset=${LAYOUT.lanes + 16 * k} (i32.const 0) ${get(`s${k}`)})`);
emit(`(loop $lanes
      (local.set $crc (i32.xor
        (i32.xor
          (i32.xor ${hornerLookup(0, `(i32.shl (i32.and (local.get $crc) (i32.const 0xff)) (i32.const 2))`)}
                   ${hornerLookup(1, `(i32.and (i32.shr_u (local.get $crc) (i32.const 6)) (i32.const 0x3fc))`)})
          (i32.xor ${hornerLookup(2, `(i32.and (i32.shr_u (local.get $crc) (i32.const 14)) (i32.const 0x3fc))`)}
                   ${hornerLookup(3, `(i32.shl (i32.shr_u (local.get $crc) (i32.const 24)) (i32.const 2))`)}))
        (i32.or
          (i32.or ${laneByte(0)} (i32.shl ${laneByte(1)} (i32.const 8)))
          (i32.or (i32.shl ${laneByte(2)} (i32.const 16)) (i32.shl ${laneByte(3)} (i32.const 24))))))
      (local.set $l (i32.add (local.get $l) (i32.const 1)))
      (br_if $lanes (i32.lt_u (local.get $l) (i32.const 16))))`);
emit(`(local.get $crc)`);

const v128Locals = [
  'nibble', 'i', 'lo', 'hi', 's0', 's1', 's2', 's3',
  'tl0', 'tl1', 'tl2', 'tl3', 'th0', 'th1', 'th2', 'th3',
  ...Array.from({ length: 16 }, (_, n) => `r${n}`),
  ...Array.from({ length: 16 }, (_, n) => `u${n}`),
  ...[0, 1, 2, 3].flatMap((k) => [`n${k}0`, `n${k}1`]),
];
const wat = `;; Generated by scripts/build-crc-wasm.mjs: the Ogg page CRC over WebAssembly SIMD lanes.
(module
  (memory (export "memory") ${PAGES})
  ;; crc(p, len): the Ogg CRC (RFC 3533 §6, initial value 0) of memory[p, p + len).
  (func (export "crc") (param $p i32) (param $len i32) (result i32)
    (local $end i32) (local $head i32) (local $base i32) (local $l i32) (local $crc i32)
    ${v128Locals.map((n) => `(local $${n} v128)`).join(' ')}
    ${lines.join('\n    ')}))
`;

if (printWat) {
  process.stdout.write(wat);
} else {
  const wabt = await createRequire(import.meta.url)(wabtPath)();
  const module = wabt.parseWat('crc-simd.wat', wat, { simd: true, relaxed_simd: true, bulk_memory: true });
  module.validate();
  const { buffer } = module.toBinary({});
  const base64 = Buffer.from(buffer).toString('base64');
  const out = `/**
 * The compiled Ogg page CRC (${buffer.length} bytes of WebAssembly SIMD), generated by
 * scripts/build-crc-wasm.mjs (which explains the algorithm): do not edit.
 *
 * @module
 */

/** The module, base64-encoded. Exports \`memory\` (${PAGES} pages) and \`crc(p, len)\`. */
export const CRC_SIMD_WASM_BASE64 =
  '${base64}';

/** Byte offsets in the module's memory: the tables crc-fast.ts writes, the lanes, the window pages are copied to. */
export const CRC_SIMD_LAYOUT = { ${Object.entries(LAYOUT).map(([k, v]) => `${k}: ${v}`).join(', ')} } as const;
`;
  writeFileSync(join(root, 'src', 'demux', 'ogg', 'crc-simd-wasm.ts'), out);
  process.stdout.write(`crc-simd-wasm.ts: ${buffer.length} bytes\n`);
}
