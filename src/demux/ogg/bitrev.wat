;; Reverses the bit order of every byte in memory[0, len), 16 bytes per step (WebAssembly SIMD).
;; Used to compute the Ogg page CRC (MSB-first, RFC 3533 §6) with a reflected CRC-32 (zlib.crc32):
;; see src/demux/ogg/crc-fast.ts. Regenerate the embedded bytes with `node scripts/build-bitrev-wasm.mjs`.
;; Each byte is split into nibbles; i8x16.swizzle looks both up in a 16-entry table of reversed
;; nibbles, and the reversed low nibble becomes the high one. Bytes past `len` up to the next
;; multiple of 16 are reversed too (the caller ignores them); memory is 2 pages (128 KiB).
(module
  (memory (export "memory") 2)
  (func (export "rev") (param $len i32)
    (local $i i32) (local $lo v128) (local $hi v128) (local $v v128) (local $tab v128) (local $mask v128)
    (local.set $tab (v128.const i8x16 0x0 0x8 0x4 0xc 0x2 0xa 0x6 0xe 0x1 0x9 0x5 0xd 0x3 0xb 0x7 0xf))
    (local.set $mask (i8x16.splat (i32.const 0x0f)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $v (v128.load (local.get $i)))
        (local.set $lo (i8x16.swizzle (local.get $tab) (v128.and (local.get $v) (local.get $mask))))
        (local.set $hi (i8x16.swizzle (local.get $tab) (v128.and (i8x16.shr_u (local.get $v) (i32.const 4)) (local.get $mask))))
        (v128.store (local.get $i) (v128.or (i8x16.shl (local.get $lo) (i32.const 4)) (local.get $hi)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))))
