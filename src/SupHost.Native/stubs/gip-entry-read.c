/* The source of Libc.GipEntryReader's machine code (src/SupHost.Native/Libc.Time.cs), kept so that
 * the bytes there can be checked and made again. Nothing builds this file with the project: the
 * bytes are in the C# source, so no native library is built or shipped.
 *
 *   gcc -O2 -c -fno-asynchronous-unwind-tables -fcf-protection=none -fno-stack-protector \
 *       -o gip-entry-read.o gip-entry-read.c
 *   objdump -d -r gip-entry-read.o     (no relocations: the code is position-independent)
 *   objcopy -O binary -j .text gip-entry-read.o gip-entry-read.bin
 *
 * (gcc 12.2, Debian 12, x86-64.) read_lfence is at offset 0 of .text (162 bytes), read_rdtscp at
 * 0xb0 (162 bytes).
 *
 * One read of a GIP layout 2 CPU entry (docs/gip.md, Reading, steps 2, 4 and 5), in one call:
 * the transaction id and the fields, then the TSC in order (lfence; rdtsc where lfence is
 * dispatch-serializing, rdtscp otherwise), then the id again through an address computed from the
 * TSC (so after it), then the formula. It returns 0 for a torn read (odd or moved id) and 1 for
 * the other cases the caller must handle itself: a TSC at or before the entry's, a stale entry.
 * CLOCK_MONOTONIC is the time since boot, never 0 or 1 ns, so neither is a time the clock gives. */
#include <stdint.h>

typedef unsigned __int128 u128;

#define LD32(o) (*(const volatile uint32_t *)(e + (o)))
#define LD64(o) (*(const volatile uint64_t *)(e + (o)))

/* Offsets: CpuTransactionOffset 0, CpuNanoTsOffset 8, CpuTscOffset 16, CpuNsPerTickOffset 24,
 * CpuSlewTicksOffset 32, CpuNominalNsPerTickOffset 40, CpuMaxDeltaTscOffset 48 (GipLayout). */
#define BODY(TSCREAD)                                                                               \
    uint32_t t1 = LD32(0);                                                                          \
    uint64_t ns = LD64(8), base = LD64(16), rate = LD64(24), slew = LD64(32), nominal = LD64(40);   \
    uint64_t maxd = LD64(48);                                                                       \
    uint64_t tsc, zero;                                                                             \
    uint32_t t2;                                                                                    \
    __asm__ volatile(TSCREAD "; shl $32, %%rdx; or %%rdx, %%rax; mov %%rax, %%rdx; sub %%rax, %%rdx; mov (%3,%%rdx), %2" \
                     : "=a"(tsc), "=&d"(zero), "=r"(t2) : "r"(e) : "memory", "rcx");                \
    if (((t1 & 1) | (t1 ^ t2)) != 0) return 0;                                                      \
    uint64_t d = tsc - base;                                                                        \
    if ((int64_t)d <= 0 || d > maxd) return 1;                                                      \
    if (d <= slew) return ns + (uint64_t)(((u128)d * rate) >> 32);                                  \
    return ns + (uint64_t)(((u128)slew * rate) >> 32) + (uint64_t)(((u128)(d - slew) * nominal) >> 32);

uint64_t read_lfence(const uint8_t *e) { BODY("lfence; rdtsc") }

uint64_t read_rdtscp(const uint8_t *e) { BODY("rdtscp") }
