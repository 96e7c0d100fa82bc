/* What the C floors share: pinning the calling process to one CPU. */
#ifndef SUPHOST_FLOOR_H
#define SUPHOST_FLOOR_H
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) { perror("sched_setaffinity"); exit(1); }
}

#endif
