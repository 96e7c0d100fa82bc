/* The floor of the gip scenario: the TSC and clock_gettime read inline in C, no call through a pointer.
 * usage: tsc READS CPU
 * prints: picoseconds per read, one a line, in this order: rdtsc; rdtscp; rdtscp then a load through
 *         an address computed from the TSC (what the clock's stub does); rdtscp + lfence;
 *         clock_gettime(CLOCK_MONOTONIC); lfence + rdtsc; lfence + rdtsc then the same load (the
 *         stub where lfence is dispatch-serializing). Each after a warm-up of as many reads. */
#include "floor.h"
#include <stdint.h>
#include <time.h>

static volatile uint32_t word;

static inline uint64_t raw(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t rdtscp(void)
{
    uint32_t lo, hi, aux;
    __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t then_load(void)
{
    uint64_t tsc, zero;
    uint32_t aux, loaded;
    __asm__ volatile("rdtscp; shl $32, %%rdx; or %%rdx, %%rax; mov %%rax, %%rdx; sub %%rax, %%rdx; mov (%4,%%rdx), %2"
                     : "=a"(tsc), "=&d"(zero), "=r"(loaded), "=c"(aux) : "r"(&word) : "memory");
    return tsc + loaded;
}

static inline uint64_t fenced(void)
{
    uint32_t lo, hi, aux;
    __asm__ volatile("rdtscp; lfence" : "=a"(lo), "=d"(hi), "=c"(aux) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t lfence_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t lfence_then_load(void)
{
    uint64_t tsc, zero;
    uint32_t loaded;
    __asm__ volatile("lfence; rdtsc; shl $32, %%rdx; or %%rdx, %%rax; mov %%rax, %%rdx; sub %%rax, %%rdx; mov (%3,%%rdx), %2"
                     : "=a"(tsc), "=&d"(zero), "=r"(loaded) : "r"(&word) : "memory");
    return tsc + loaded;
}

static inline uint64_t monotonic(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

#define MEASURE(read)                                                   \
    do {                                                                \
        volatile uint64_t sink = 0;                                     \
        for (long i = 0; i < n; i++) sink += read();                    \
        uint64_t start = monotonic();                                   \
        for (long i = 0; i < n; i++) sink += read();                    \
        printf("%llu\n", (unsigned long long)((monotonic() - start) * 1000 / (uint64_t)n)); \
    } while (0)

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: %s READS CPU\n", argv[0]); return 2; }
    long n = atol(argv[1]);
    pin(atoi(argv[2]));
    MEASURE(raw);
    MEASURE(rdtscp);
    MEASURE(then_load);
    MEASURE(fenced);
    MEASURE(monotonic);
    MEASURE(lfence_rdtsc);
    MEASURE(lfence_then_load);
    return 0;
}
