/* Runs a fuzz target's entry point over files (a corpus or crash
 * reproducers) without libFuzzer: the regression test of every target. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
  size_t got = buf ? fread(buf, 1, (size_t)n, f) : 0;
  fclose(f);
  LLVMFuzzerTestOneInput(buf, got);
  free(buf);
  return 0;
}

static int files, errors;

/* Replays a file, or every file below a folder. */
static void replay_path(const char *path) {
  struct stat sb;
  if (stat(path, &sb) != 0) {
    perror(path);
    errors++;
    return;
  }
  if (!S_ISDIR(sb.st_mode)) {
    errors += replay_file(path);
    files++;
    return;
  }
  DIR *d = opendir(path);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char child[4096];
    snprintf(child, sizeof child, "%s/%s", path, e->d_name);
    replay_path(child);
  }
  if (d) closedir(d);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) replay_path(argv[i]);
  printf("replayed %d inputs, %d unreadable\n", files, errors);
  return errors ? 1 : 0;
}
