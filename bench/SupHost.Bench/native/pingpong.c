/* The floor of the roundtrip scenario: a SOCK_SEQPACKET ping-pong between two processes in C.
 * usage: pingpong ITERATIONS SERVER_CPU CLIENT_CPU MESSAGE_SIZE
 * prints: every round trip in nanoseconds, one a line, after a warm-up of a tenth as many */
#include "floor.h"
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 5) { fprintf(stderr, "usage: %s ITERATIONS SERVER_CPU CLIENT_CPU SIZE\n", argv[0]); return 2; }
    int n = atoi(argv[1]), server_cpu = atoi(argv[2]), client_cpu = atoi(argv[3]), size = atoi(argv[4]);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) { perror("socketpair"); return 1; }
    char buf[65536];
    memset(buf, 0x5a, sizeof buf);
    pid_t child = fork();
    if (child == 0) {
        close(sv[0]);
        pin(server_cpu);
        for (;;) {
            ssize_t got = recv(sv[1], buf, sizeof buf, 0);
            if (got <= 0) _exit(0);
            if (send(sv[1], buf, (size_t)got, MSG_NOSIGNAL) != got) _exit(1);
        }
    }
    close(sv[1]);
    pin(client_cpu);
    int warm = n / 10;
    long long *samples = malloc(sizeof(long long) * (size_t)n);
    for (int i = -warm; i < n; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        if (send(sv[0], buf, (size_t)size, 0) != size) { perror("send"); return 1; }
        if (recv(sv[0], buf, sizeof buf, 0) != size) { perror("recv"); return 1; }
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (i >= 0) samples[i] = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
    }
    close(sv[0]);
    waitpid(child, NULL, 0);
    for (int i = 0; i < n; i++) printf("%lld\n", samples[i]);
    return 0;
}
