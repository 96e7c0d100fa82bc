/* The floor of the event scenario: an eventfd ping-pong between two processes in C, blocking reads.
 * usage: eventfd_pingpong ITERATIONS SERVER_CPU CLIENT_CPU
 * prints: every round trip (two signal-to-wake hops) in nanoseconds, one a line, after a warm-up */
#include "floor.h"
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 4) { fprintf(stderr, "usage: %s ITERATIONS SERVER_CPU CLIENT_CPU\n", argv[0]); return 2; }
    int n = atoi(argv[1]), server_cpu = atoi(argv[2]), client_cpu = atoi(argv[3]);
    int ping = eventfd(0, EFD_CLOEXEC), pong = eventfd(0, EFD_CLOEXEC);
    if (ping < 0 || pong < 0) { perror("eventfd"); return 1; }
    uint64_t value = 1;
    pid_t child = fork();
    if (child == 0) {
        pin(server_cpu);
        for (;;) {
            if (read(ping, &value, sizeof value) != sizeof value) _exit(1);
            if (value == UINT64_MAX - 1) _exit(0);
            value = 1;
            if (write(pong, &value, sizeof value) != sizeof value) _exit(1);
        }
    }
    pin(client_cpu);
    int warm = n / 10;
    long long *samples = malloc(sizeof(long long) * (size_t)n);
    for (int i = -warm; i < n; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        value = 1;
        if (write(ping, &value, sizeof value) != sizeof value) { perror("write"); return 1; }
        if (read(pong, &value, sizeof value) != sizeof value) { perror("read"); return 1; }
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (i >= 0) samples[i] = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
    }
    value = UINT64_MAX - 1;
    if (write(ping, &value, sizeof value) != sizeof value) { perror("write"); return 1; }
    waitpid(child, NULL, 0);
    for (int i = 0; i < n; i++) printf("%lld\n", samples[i]);
    return 0;
}
