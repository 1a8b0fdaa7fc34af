/*
 * rusage-exec REPORT COMMAND [ARGS...]
 *
 * Runs COMMAND and writes "<user µs> <sys µs> <max RSS KiB>\n" to REPORT when it ends: the
 * resource usage wait4() reports, which includes every descendant the command waited for (the
 * tar and zstd that @actions/cache spawns, the node under a bash run step). Exits with the
 * command's status, so the harness sees what it would without the wrapper. Used by the benchmark
 * (scripts/bench.ts) to measure CPU time of a step with microsecond resolution; it adds one
 * fork+exec (well under a millisecond) to a step's wall time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: rusage-exec REPORT COMMAND [ARGS...]\n");
    return 125;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("rusage-exec: fork");
    return 125;
  }
  if (pid == 0) {
    /* If the harness kills the wrapper (step timeout), take the command down with it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    execvp(argv[2], argv + 2);
    perror("rusage-exec: exec");
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      perror("rusage-exec: wait4");
      return 125;
    }
  }
  FILE *report = fopen(argv[1], "w");
  if (report) {
    fprintf(report, "%ld %ld %ld\n",
            (long)ru.ru_utime.tv_sec * 1000000L + (long)ru.ru_utime.tv_usec,
            (long)ru.ru_stime.tv_sec * 1000000L + (long)ru.ru_stime.tv_usec,
            (long)ru.ru_maxrss);
    fclose(report);
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 125;
}
